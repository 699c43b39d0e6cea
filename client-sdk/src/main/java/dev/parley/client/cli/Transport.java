package dev.parley.client.cli;

/** Which protocol a command speaks. */
enum Transport {
  /** Parley's gRPC API (Dialogue.Converse). */
  grpc,
  /** Kyutai's /api/chat WebSocket protocol. */
  ws
}
