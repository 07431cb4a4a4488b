// Package presubmit holds no code: its tests walk the repository's Go files
// and enforce the house rules that tools do not (CoreDNS-style presubmit
// checks written as tests):
//
//   - no fmt.Print*, print or println outside cmd/ and _test.go files
//     (libraries log through log/slog);
//   - no use of the standard log package outside cmd/;
//   - every Go file is gofmt-formatted.
package presubmit
