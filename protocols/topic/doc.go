// Package topic compiles the MQTT topic patterns of firmware profiles, such
// as "lp/{device}" or "fleet/+/{device}/{stream}/#", and matches topics
// against them.
//
// A pattern is a list of levels separated by '/'. A level is a literal, the
// placeholder {device} or {stream} (each at most once), '+' (any one level)
// or '#' (any number of remaining levels, zero included; last level only).
// A placeholder or wildcard fills a whole level. Filter gives the MQTT
// subscription filter (placeholders become '+'), Match extracts the device
// and stream from a received topic without allocating, and Format builds
// the topic a publisher sends to. When several profiles' patterns match one
// topic, Compare ranks them: the pattern with more literal levels wins.
package topic
