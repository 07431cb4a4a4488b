package script

// openMona creates the global server object, visible as `mona` (MonaServer)
// and `cumulus` (CumulusServer): the same table under both names.
func (h *Host) openMona() {
	h.mona = h.L.NewTable()
	h.global.RawSetString("mona", h.mona)
	h.global.RawSetString("cumulus", h.mona)
}
