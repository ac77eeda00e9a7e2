// Package auth holds cloud-core's identities: the NATS operator and
// account keys that sign agent credentials, and the secret that signs read
// tokens. Both kinds of credential are self-contained and verified by
// signature, so `cloud-core agents add` and `cloud-core tokens add` issue
// them from the keys in the data dir while the server runs, without a
// restart and without touching its metadata.
//
// Agents get NATS user credentials (.creds: a user JWT signed by the account
// key, and the user's seed) that allow publishing only on the agent's own
// subjects (tb.hello.<agent>, tb.ingest.<agent>) and subscribing only to its
// own inbox prefix (_INBOX_<agent>.>). The server runs in NATS operator
// mode with an in-memory account resolver.
package auth
