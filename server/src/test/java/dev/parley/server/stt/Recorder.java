package dev.parley.server.stt;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** Records everything a transcription session reports, in order. */
final class Recorder implements SttListener {
  final List<SttStep> steps = new CopyOnWriteArrayList<>();
  final List<String> events = new CopyOnWriteArrayList<>(); // words, ends, markers, turns, in order
  final List<long[]> endOfTurn = new CopyOnWriteArrayList<>(); // {step}
  final List<Long> markers = new CopyOnWriteArrayList<>();
  final List<Long> markerSteps = new CopyOnWriteArrayList<>(); // steps seen when each marker came
  final CompletableFuture<List<SttWord>> transcript = new CompletableFuture<>();
  final CompletableFuture<String> closed = new CompletableFuture<>();
  volatile Thread thread;

  @Override
  public void onStep(SttStep step) {
    thread = Thread.currentThread();
    steps.add(step);
  }

  @Override
  public void onEndOfTurn(long stepIndex, float pauseProbability) {
    endOfTurn.add(new long[] {stepIndex});
    events.add("turn@" + stepIndex);
  }

  @Override
  public void onWord(int index, String text, double startSeconds) {
    events.add("word " + index + " " + text + " " + startSeconds);
  }

  @Override
  public void onWordEnd(int index, double stopSeconds) {
    events.add("end " + index + " " + stopSeconds);
  }

  @Override
  public void onMarker(long id) {
    markers.add(id);
    markerSteps.add((long) steps.size());
    events.add("marker " + id);
  }

  @Override
  public void onTranscript(List<SttWord> words) {
    events.add("transcript");
    transcript.complete(words);
  }

  @Override
  public void onClosed(String reason) {
    closed.complete(reason == null ? "" : reason);
  }

  List<SttWord> awaitTranscript() throws Exception {
    return transcript.get(120, TimeUnit.SECONDS);
  }

  long[] tokens() {
    return steps.stream().mapToLong(SttStep::textToken).toArray();
  }

  List<float[]> pauses() {
    List<float[]> out = new ArrayList<>();
    for (SttStep s : steps) {
      out.add(s.pauseProbabilities());
    }
    return out;
  }

  /** Word and end events only (what a client sees of the words). */
  List<String> wordEvents() {
    return events.stream().filter(e -> e.startsWith("word") || e.startsWith("end")).toList();
  }
}
