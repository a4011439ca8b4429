/**
 * A conference on one worker: participants' decoded audio is queued as it arrives and mixed on
 * the frame clock; each participant's mix goes back through its own endpoint, which may live on
 * another worker.
 */
import { FRAME_SAMPLES } from './frame-ticker.js';
import { dbToGain, mixMinusOne, SampleQueue } from './mixer.js';

/** Up to 100 ms of a participant's audio waits for the mixer; more is dropped. */
const QUEUE_SAMPLES = 800;

interface Participant {
  queue: SampleQueue;
  gain: number;
  input: Int16Array;
  output: Int16Array;
  deliver(samples: Int16Array): void;
}

export class Conference {
  private readonly participants = new Map<string, Participant>();
  private readonly sum = new Float64Array(FRAME_SAMPLES);
  // Reused arrays of the participants' buffers, rebuilt when membership changes.
  private inputs: Int16Array[] = [];
  private outputs: Int16Array[] = [];
  private gains: number[] = [];
  private members: Participant[] = [];

  constructor(readonly id: string) {}

  add(endpointId: string, gainDb: number, deliver: (samples: Int16Array) => void): void {
    this.participants.set(endpointId, {
      queue: new SampleQueue(QUEUE_SAMPLES, FRAME_SAMPLES),
      gain: dbToGain(gainDb),
      input: new Int16Array(FRAME_SAMPLES),
      output: new Int16Array(FRAME_SAMPLES),
      deliver,
    });
    this.rebuild();
  }

  remove(endpointId: string): void {
    if (this.participants.delete(endpointId)) this.rebuild();
  }

  get size(): number {
    return this.participants.size;
  }

  /** A participant's received audio (decoded G.711). */
  input(endpointId: string, samples: Int16Array, length: number): void {
    this.participants.get(endpointId)?.queue.push(samples, length);
  }

  /** One frame: mix and deliver to everyone. */
  tick(): void {
    const members = this.members;
    if (members.length === 0) return;
    for (const member of members) member.queue.take(member.input);
    mixMinusOne(this.inputs, this.gains, this.outputs, FRAME_SAMPLES, this.sum);
    for (const member of members) member.deliver(member.output);
  }

  private rebuild(): void {
    this.members = [...this.participants.values()];
    this.inputs = this.members.map((member) => member.input);
    this.outputs = this.members.map((member) => member.output);
    this.gains = this.members.map((member) => member.gain);
  }
}
