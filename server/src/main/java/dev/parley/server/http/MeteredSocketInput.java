package dev.parley.server.http;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.engine.MeteredFeed;
import io.netty.channel.Channel;

/**
 * Decoded audio on its way from a socket into its session, metered: it enters the session as the
 * session's frame queue frees, and while more than {@code maxPendingSeconds} wait the socket stops
 * reading, so a client sending faster than real time is slowed by TCP instead of refused. Event
 * loop only.
 */
final class MeteredSocketInput {
  private final Channel channel;
  private final MeteredFeed feed = new MeteredFeed();
  private final int room;
  private final double maxPendingSamples;

  MeteredSocketInput(Channel channel, int maxQueuedFrames, double maxPendingSeconds) {
    this.channel = channel;
    this.room = MeteredFeed.room(maxQueuedFrames);
    this.maxPendingSamples = maxPendingSeconds * ModelAudio.SAMPLE_RATE;
  }

  void addAudio(float[] pcm, int offset, int length) {
    feed.addAudio(pcm, offset, length);
  }

  void addMarker(long id) {
    feed.addMarker(id);
  }

  /** Moves what {@code session} has room for into it; pauses or resumes reading the socket. */
  void pump(MeteredFeed.Target session) {
    if (session == null) {
      return;
    }
    feed.pumpInto(session, room);
    boolean backlog = feed.pendingSamples() > maxPendingSamples;
    if (channel.config().isAutoRead() == backlog) {
      channel.config().setAutoRead(!backlog);
    }
  }
}
