// Package nodb persists MonaServer's NoDB tables (the `data` table of Lua
// applications) crash-safely, in MonaServer's on-disk layout.
//
// # Layout
//
// A table is a directory. Each key of a table is a sub-directory named by
// the (escaped) key. A key holding a value contains one file named by the
// lower-case hex MD5 of its content, the content being the raw value
// ("true", "10", "text"); a key holding a sub-table contains the keys of
// that table. An empty directory is an empty table. Key names are escaped
// so that any key maps to one safe file name: '%', '/', '\', control
// characters and a leading '.' become %XX, and the empty key is "%".
// Names starting with '.' are ours (temporary files and directories).
//
// # Crash safety
//
// Writes are queued and applied in order by one goroutine; Sync waits until
// everything queued before it is on disk. Every operation is atomic with
// respect to a crash (SIGKILL, power loss with a journaling file system):
// after a restart each key holds either its value before or after an
// operation that was in flight, and every operation that completed
// (everything before a returned Sync) is present.
//
//   - A new key is built in a temporary directory (.tmp-*), fsynced, and
//     renamed into place; the parent directory is fsynced.
//   - A new value of an existing key is written to ".tmp-<md5>" and fsynced;
//     the directory is fsynced; the old value file is removed; the
//     temporary file is renamed to "<md5>"; the directory is fsynced.
//     A crash between the removal and the rename leaves only the temporary
//     file, which Open promotes because its content matches its name.
//   - A key replaced by a table is first renamed to ".old-<key>-<n>"; the new
//     table (built in a temporary directory) is renamed into place; Open
//     restores ".old-*" when the key is missing and removes it otherwise.
//   - A deleted key is renamed to ".del-<n>" (atomic), then removed.
//
// Open repairs what a crash left: temporary files and directories, value
// files whose content does not match their name (MonaServer does the same)
// and tombstones.
package nodb
