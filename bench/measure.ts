/**
 * Timing for the benchmarks: each figure is the best of several timed runs after a warm-up run, measured
 * two ways. CPU time (user + system of this process, process.cpuUsage) is the speed on one core, whatever
 * other processes compete for the machine's cores; wall-clock time is what an idle machine would show and
 * is reported alongside, so a noisy machine is visible as a gap between the two.
 */
export interface Rate {
  /** Operations per second of CPU time (best run). */
  cpu: number;
  /** Operations per second of wall-clock time (best run). */
  wall: number;
}

/** Run `body` (returning the operations it performed) `runs` times; the first run is a warm-up. */
export function bestOf(runs: number, body: () => number): Rate {
  let cpu = 0;
  let wall = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const ops = body();
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    const cpuS = (c.user + c.system) / 1e6;
    if (i === 0) continue;
    wall = Math.max(wall, ops / wallS);
    if (cpuS > 0) cpu = Math.max(cpu, ops / cpuS);
  }
  return { cpu: Math.round(cpu), wall: Math.round(wall) };
}
