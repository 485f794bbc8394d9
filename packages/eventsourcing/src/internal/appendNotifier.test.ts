import { getEventListeners } from 'node:events';
import { NEVER_ABORTED } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { AppendNotifier } from './appendNotifier.js';

describe('AppendNotifier', () => {
  it('wakes every armed watch on the next append', async () => {
    const notifier = new AppendNotifier();
    const watches = [notifier.watch(), notifier.watch()];
    const waits = watches.map((watch) => watch.wait(new AbortController().signal));
    notifier.notify();
    await expect(Promise.all(waits)).resolves.toEqual([undefined, undefined]);
  });

  it('hangs one listener on a signal shared by many waiting watches, and none once they end', async () => {
    const notifier = new AppendNotifier();
    const controller = new AbortController();
    const watches = Array.from({ length: 20 }, () => notifier.watch());
    const waits = watches.map((watch) => watch.wait(controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    notifier.notify();
    await Promise.all(waits);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('stops following the signal when a waiting watch is disposed without an append', () => {
    const notifier = new AppendNotifier();
    const controller = new AbortController();
    const watch = notifier.watch();
    void watch.wait(controller.signal);
    watch.dispose();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('hangs nothing on the never-aborted signal', () => {
    const notifier = new AppendNotifier();
    const watches = Array.from({ length: 20 }, () => notifier.watch());
    for (const watch of watches) void watch.wait(NEVER_ABORTED);
    expect(getEventListeners(NEVER_ABORTED, 'abort')).toHaveLength(0);
    for (const watch of watches) watch.dispose();
  });

  it('rejects a waiting watch with the abort reason', async () => {
    const notifier = new AppendNotifier();
    const controller = new AbortController();
    const wait = notifier.watch().wait(controller.signal);
    controller.abort(new Error('closed'));
    await expect(wait).rejects.toThrow('closed');
  });
});
