// Package assemble holds the parts that the payload decoders in protocols/
// share to build points quickly: Text hands out substrings of one copy of
// the payload instead of a string per key, Arena hands out the Fields and
// Tags slices of many points from a few blocks, and Record gives JSON and
// msgpack the same rules for map-shaped records (reserved keys, flattening
// of nested keys, device and stream precedence, timestamps). Decode and
// NextPoint enforce the payload limits (payload.MaxSize, payload.MaxPoints)
// and the no-points rule the same way for every decoder.
package assemble
