/** The stream a request's responses are read from: order, waiting readers, the bound, the end. */
import { describe, expect, it } from 'vitest';
import { ResponseStream } from '../../../src/sip/response-stream.js';

async function readAll<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe('ResponseStream', () => {
  it('gives items pushed before and after the reader asked, in order, and ends after end()', async () => {
    const stream = new ResponseStream<number>();
    stream.push(1);
    const reading = readAll(stream);
    stream.push(2);
    await Promise.resolve();
    stream.push(3);
    stream.end();
    stream.push(4);
    expect(await reading).toEqual([1, 2, 3]);
  });

  it('wakes every waiting reader, each with its own item, and the rest with the end', async () => {
    const stream = new ResponseStream<string>();
    const first = stream.next();
    const second = stream.next();
    const third = stream.next();
    stream.push('a');
    stream.push('b');
    stream.end();
    expect(await Promise.all([first, second, third])).toEqual([
      { value: 'a', done: false },
      { value: 'b', done: false },
      { value: undefined, done: true },
    ]);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('past the bound drops droppable items only, keeping the others', async () => {
    const stream = new ResponseStream<number>(2);
    stream.push(1, true);
    stream.push(2, true);
    stream.push(3, true);
    stream.push(4);
    stream.end();
    expect(await readAll(stream)).toEqual([1, 2, 4]);
  });

  it('a reader leaving early ends the stream: what was queued stays readable, later pushes are ignored', async () => {
    const stream = new ResponseStream<number>();
    stream.push(1);
    stream.push(2);
    for await (const item of stream) {
      expect(item).toBe(1);
      break;
    }
    stream.push(3);
    expect(await stream.next()).toEqual({ value: 2, done: false });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });
});
