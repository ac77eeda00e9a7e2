// Package cmdflags is the command line the ML commands (trainer, scorer,
// evaluate) share: a flag set with --api and --token, parsed with the
// same rules (--help prints the flags and exits 0; a bad flag or a
// leftover argument prints one line and exits 2), and the API client the
// two flags make.
package cmdflags
