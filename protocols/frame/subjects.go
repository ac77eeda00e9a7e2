package frame

// NATS names of the edge-to-cloud protocol, shared by the uplink, cloud
// ingest and the agent credentials that scope them; docs/wire.md lists
// them.
const (
	// HelloPrefix is the subject prefix of hellos: an agent sends a Hello
	// as a request on HelloPrefix+agent and gets a HelloReply.
	HelloPrefix = "tb.hello."
	// IngestPrefix is the subject prefix of batches: an agent sends each
	// batch frame as a request on IngestPrefix+agent and gets an Ack.
	IngestPrefix = "tb.ingest."
	// PrevHeader is the NATS header of a batch request that carries where
	// the writer's previous batch ended (its LastSeq; 0 for none).
	PrevHeader = "Tb-Prev"
	// InboxPrefix is the start of an agent's reply inboxes: an agent
	// receives replies only on InboxPrefix+agent+".>".
	InboxPrefix = "_INBOX_"
	// QueueGroup is the NATS queue group cloud ingest instances share on
	// the hello and ingest subjects.
	QueueGroup = "tb-ingest"
)
