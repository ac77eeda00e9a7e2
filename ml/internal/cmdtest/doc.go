// Package cmdtest checks, in the tests of the ML commands, the command
// line rules of package cmdflags against a command's run function.
package cmdtest
