package script

// openAppData installs the app's NoDB `data` table in its layer.
func (h *Host) openAppData(a *app) {}
