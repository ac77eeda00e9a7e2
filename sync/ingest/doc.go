// Package ingest is the cloud side of replication: it answers agents'
// Hello requests with their committed high-water marks and takes their
// batch frames over NATS, checks that each agent writes only as itself and
// in order, hands the points to the segment store (which drops whatever it
// already holds), and acknowledges once they are durable.
//
// Exactly once rests on two marks. The store keeps, per writer and segment,
// the last sequence it holds, and filters every append against it; that
// makes any retry harmless, however late. Ingest keeps, per writer, the
// committed mark: the end of the last batch it acknowledged. A batch says
// where its writer's previous batch ended (the Tb-Prev header); ingest takes
// it only if that is not past the committed mark, so a batch is never
// written while an earlier one of the same writer is missing. Committed
// marks are saved lazily; a mark older than the truth only costs a resend.
package ingest
