// Package payloadtest holds the checks that the tests of the payload
// decoders in protocols/ share: what a decoder must return on error, and
// what a point it returns must look like.
package payloadtest
