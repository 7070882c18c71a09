/**
 * One Bochs process running the agent: building the agent, writing the bochsrc, starting Bochs headless,
 * the COM1 socket (requests) and stdout (replies), per-request timeouts, and stopping it all.
 *
 * Bochs connects to us (`com1: mode=socket-client`): the harness listens on an ephemeral port on
 * 127.0.0.1 only, before Bochs starts. Bochs ignores SIGTERM while its `term` display is up, so a
 * stuck Bochs is ended with SIGKILL.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContractError } from '../../contract/types';
import { FrameParser, Op, Status, encodeRequest, type ReplyFrame } from './protocol';

export const BOCHS_INSTALL_HINT =
  'Bochs is not installed (no `bochs` on PATH). On Debian/Ubuntu: apt-get update && apt-get install -y bochs bochsbios bochs-term';

/** The agent sources; the image is built from them into agent/build/ on first use. */
export const AGENT_DIR = path.resolve(__dirname, '../../../agent');

export function findBochs(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, 'bochs');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

let building: Promise<string> | undefined;

/** Builds agent/build/agent.img unless it is newer than every agent source. Returns its path. */
export async function buildAgent(): Promise<string> {
  building ??= (async () => {
    const out = path.join(AGENT_DIR, 'build');
    const img = path.join(out, 'agent.img');
    const sources = fs.readdirSync(AGENT_DIR).filter((f) => /\.(c|h|S|ld|sh)$/.test(f));
    const newest = Math.max(...sources.map((f) => fs.statSync(path.join(AGENT_DIR, f)).mtimeMs));
    if (fs.existsSync(img) && fs.statSync(img).mtimeMs >= newest) return img;
    await new Promise<void>((resolve, reject) => {
      execFile('sh', [path.join(AGENT_DIR, 'build.sh'), out], (err, _stdout, stderr) => {
        if (err) reject(new ContractError('internal', `building the agent failed: ${stderr || err.message}`));
        else resolve();
      });
    });
    return img;
  })();
  try {
    return await building;
  } catch (e) {
    building = undefined;
    throw e;
  }
}

export interface MachineOptions {
  cpuModel: string;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Time allowed for Bochs to boot the agent. */
  bootTimeoutMs?: number;
}

interface Pending {
  resolve: (f: ReplyFrame) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  what: string;
}

/**
 * The timeout of a request after which Bochs was stopped. `cpuAtStop` is what Bochs said about its CPU
 * as it quit, e.g. "CPU is in long mode (halted, vmx guest)" (cpu/debugstuff.cc, BX_CPU_C::debug, run
 * by Bochs's exit handler); "vmx guest" there means the logical processor was in VMX non-root operation.
 */
export class BochsTimeout extends ContractError {
  constructor(message: string, readonly cpuAtStop?: string) {
    super('timeout', message);
  }
  /** Bochs said, as it stopped, that its CPU was running a VMX guest. */
  get inVmxGuest(): boolean {
    return /\bvmx guest\)/.test(this.cpuAtStop ?? '');
  }
}

export class BochsMachine {
  private proc?: ChildProcess;
  private server?: net.Server;
  private sock?: net.Socket;
  /** Frames on Bochs's stdout (port 0xE9). */
  private readonly parser: FrameParser;
  /**
   * Frames on COM1 (an agent without port 0xE9). A stream of its own: a guest that writes to the COM1
   * data port (an OUT to 3F8H that no I/O bitmap intercepts) sends a byte to this socket whenever Bochs's
   * UART gets to transmit it, possibly in the middle of a reply arriving on stdout; with one parser for
   * both streams that byte broke the reply's checksum, the reply was dropped and the request timed out.
   */
  private readonly comParser: FrameParser;
  private pending?: Pending;
  private readyWaiter?: Pending;
  private dead?: ContractError;
  private queue: Promise<unknown> = Promise.resolve();
  readonly dir: string;
  readonly logFile: string;
  bochsVersion = 'unknown';
  /** Output of Bochs on stdout/stderr that was not a reply frame (banner, debugger, errors). */
  private stderrTail = '';

  private constructor(readonly options: MachineOptions) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmx-bochs-'));
    this.logFile = path.join(this.dir, 'bochs.log');
    this.parser = new FrameParser((f) => this.onFrame(f));
    this.comParser = new FrameParser((f) => this.onFrame(f));
  }

  /** Builds the agent if needed, starts Bochs and waits for the agent's "ready" frame. */
  static async start(options: MachineOptions): Promise<BochsMachine> {
    const bochs = findBochs();
    if (!bochs) throw new ContractError('unsupported', BOCHS_INSTALL_HINT);
    const image = await buildAgent();
    const m = new BochsMachine(options);
    try {
      await m.boot(bochs, image);
    } catch (e) {
      await m.stop();
      throw e;
    }
    return m;
  }

  get alive(): boolean {
    return !this.dead && !!this.proc && this.proc.exitCode === null;
  }

  private async boot(bochs: string, image: string): Promise<void> {
    const floppy = path.join(this.dir, 'agent.img');
    fs.copyFileSync(image, floppy);
    this.server = net.createServer({ noDelay: true });
    const connected = new Promise<net.Socket>((resolve) => this.server!.once('connection', resolve));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (this.server.address() as net.AddressInfo).port;
    const rc = path.join(this.dir, 'bochsrc');
    fs.writeFileSync(rc, bochsrc({ cpuModel: this.options.cpuModel, floppy, log: this.logFile, port }));
    // The internal debugger stops before the first instruction: "c" starts the machine, and "quit" is
    // what it reads when the agent's magic breakpoint (QUIT request) stops it again.
    const cmds = path.join(this.dir, 'debugger-commands');
    fs.writeFileSync(cmds, 'c\nquit\n');

    const ready = new Promise<ReplyFrame>((resolve, reject) => {
      this.readyWaiter = {
        resolve,
        reject,
        what: 'boot',
        timer: setTimeout(
          () => this.fail(new ContractError('timeout', `Bochs did not boot the agent within ${this.options.bootTimeoutMs ?? 20000} ms`)),
          this.options.bootTimeoutMs ?? 20000,
        ),
      };
    });
    // Bochs outlives its parent if the harness dies (it ignores the closed socket and SIGTERM), and then
    // spins at 100% CPU. So it runs in its own process group with a watcher that kills the group once
    // this process is gone; stop() kills the group (Bochs and watcher) itself.
    const proc = spawn('sh', ['-c', WATCHDOG, 'bochs-watchdog', String(process.pid), this.dir, bochs, '-q', '-f', rc, '-rc', cmds], {
      cwd: this.dir,
      env: { ...process.env, TERM: 'dumb' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => {
      this.parser.push(d);
      const v = /Bochs x86 Emulator ([^\s]+)/.exec(this.parser.noise);
      if (v) this.bochsVersion = v[1];
    });
    proc.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('latin1')).slice(-8192);
    });
    proc.on('error', (e) => this.fail(new ContractError('crashed', `Bochs could not be started: ${e.message}`)));
    proc.on('exit', (code, signal) =>
      this.fail(new ContractError('crashed', `Bochs exited (${signal ?? `status ${code}`})${this.lastWords()}`)),
    );
    void connected.then((sock) => {
      this.sock = sock;
      sock.setNoDelay(true);
      // Replies may also come on COM1 (an agent without port 0xE9), parsed apart from stdout (comParser).
      sock.on('data', (d: Buffer) => this.comParser.push(d));
      sock.on('error', () => undefined);
    });
    await ready;
    // Bochs connects COM1 before its CPU runs, so the socket is there by now; do not wait for ever if not.
    await Promise.race([
      connected,
      new Promise<never>((_resolve, reject) =>
        setTimeout(() => reject(new ContractError('crashed', 'Bochs booted but never connected COM1')), 2000).unref(),
      ),
    ]);
  }

  private onFrame(f: ReplyFrame): void {
    if (f.status === Status.READY && this.readyWaiter) {
      const w = this.readyWaiter;
      this.readyWaiter = undefined;
      clearTimeout(w.timer);
      w.resolve(f);
      return;
    }
    if (f.status === Status.PANIC) {
      this.fail(new ContractError('crashed', `agent panic: ${f.payload.toString('latin1')}`));
      return;
    }
    const p = this.pending;
    if (!p) return; // a stray frame: nothing asked for it
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(f);
  }

  /** Marks the machine dead, rejects whatever waits, and kills Bochs. */
  private fail(e: ContractError): void {
    if (!this.dead) this.dead = e;
    for (const w of [this.pending, this.readyWaiter]) {
      if (!w) continue;
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.pending = undefined;
    this.readyWaiter = undefined;
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) killGroup(this.proc);
  }

  /** Why Bochs stopped: its panic line (e.g. ">>PANIC<< VMCALL: not implemented yet") and the log's tail. */
  private lastWords(): string {
    const log = this.logTail(400);
    const panic = log
      .split('\n')
      .filter((l) => />>PANIC<<|triple fault/i.test(l))
      .slice(-2)
      .map((l) => l.trim());
    const tail = log.split('\n').slice(-12).join('\n').trim();
    return `${panic.length ? `: ${panic.join('; ')}` : ''}${tail ? `; last log lines:\n${tail}` : ''}`;
  }

  /**
   * Sends one request and waits for its reply. Requests are serialised. A timeout kills Bochs: the
   * agent is stuck (typically in a guest that never exits) and only a reboot recovers it.
   */
  request(op: number, payload: Uint8Array, what: string, timeoutMs = this.options.timeoutMs): Promise<ReplyFrame> {
    const run = async (): Promise<ReplyFrame> => {
      if (this.dead) throw this.dead;
      if (!this.sock) throw new ContractError('crashed', 'the agent is not connected');
      return new Promise<ReplyFrame>((resolve, reject) => {
        this.pending = {
          resolve,
          reject,
          what,
          timer: setTimeout(() => void this.timedOut(`${what}: no reply within ${timeoutMs} ms; Bochs was stopped`), timeoutMs),
        };
        this.sock!.write(encodeRequest(op, payload));
      });
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * A request got no reply in time. Rather than kill Bochs at once, interrupt it (SIGINT): its internal
   * debugger stops the CPU and reads the next line of its command file, "quit", and Bochs's exit handler
   * logs the CPU's mode and activity state, "vmx guest" included when it was in VMX non-root operation.
   * The request then fails with a BochsTimeout carrying that line; Bochs is killed if it has not quit
   * within 3 s.
   */
  private async timedOut(message: string): Promise<void> {
    const p = this.pending;
    this.pending = undefined;
    const proc = this.proc;
    const logAt = this.logSize();
    let stopped = false;
    if (proc && proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined && !this.dead) {
      this.dead = new ContractError('timeout', message);
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      try {
        process.kill(proc.pid, 'SIGINT');
        stopped = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
      } catch {
        /* already gone */
      }
    }
    const cpu = stopped
      ? this.logSince(logAt).split('\n').filter((l) => /CPU is in /.test(l)).pop()?.replace(/^.*?CPU is in /, 'CPU is in ').trim()
      : undefined;
    const e = new BochsTimeout(cpu ? `${message} (Bochs, as it stopped: ${cpu})` : message, cpu);
    this.dead = e;
    p?.reject(e);
    this.fail(e);
  }

  /** The last `lines` lines of the Bochs log. */
  logTail(lines = 200): string {
    try {
      const fd = fs.openSync(this.logFile, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        const len = Math.min(size, 256 * 1024);
        const buf = Buffer.alloc(len);
        fs.readSync(fd, buf, 0, len, size - len);
        return buf.toString('latin1').split('\n').slice(-lines).join('\n');
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return '';
    }
  }

  /** Log size now, to read what an operation added afterwards (logSince). */
  logSize(): number {
    try {
      return fs.statSync(this.logFile).size;
    } catch {
      return 0;
    }
  }

  logSince(offset: number): string {
    try {
      const fd = fs.openSync(this.logFile, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        const len = Math.min(Math.max(size - offset, 0), 64 * 1024);
        const buf = Buffer.alloc(len);
        fs.readSync(fd, buf, 0, len, size - len);
        return buf.toString('latin1');
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return '';
    }
  }

  otherOutput(): string {
    const com = this.comParser.noise ? `\n--- COM1 (not replies) ---\n${this.comParser.noise.slice(-2048)}` : '';
    return `${this.parser.noise}${com}\n--- stderr ---\n${this.stderrTail}`;
  }

  /** Asks the agent to stop Bochs cleanly, then makes sure it is gone and removes the temp files. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null && !this.dead && this.sock) {
      try {
        await this.request(Op.QUIT, new Uint8Array(0), 'quit', 2000);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 1000);
          proc.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
        });
      } catch {
        /* killed below */
      }
    }
    this.dead ??= new ContractError('crashed', 'Bochs was stopped');
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      killGroup(proc);
      await exited;
    } else if (proc) {
      killGroup(proc); // the watcher
    }
    this.sock?.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * `sh -c WATCHDOG bochs-watchdog PARENT_PID TEMP_DIR bochs args…`: a background loop removes TEMP_DIR and
 * kills the process group when PARENT_PID is gone; the shell itself becomes Bochs (exec), so the child's
 * pid and exit status are Bochs's.
 */
const WATCHDOG = '(while kill -0 "$1" 2>/dev/null; do sleep 1; done; rm -rf "$2"; kill -9 0) & shift 2; exec "$@"';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function killGroup(proc: ChildProcess): void {
  try {
    if (proc.pid !== undefined) process.kill(-proc.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** The generated bochsrc. Every line is explained in docs/bochs.md. */
export function bochsrc(o: { cpuModel: string; floppy: string; log: string; port: number }): string {
  return [
    'megs: 32',
    'romimage: file=/usr/share/bochs/BIOS-bochs-latest',
    'vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest',
    `cpu: model=${o.cpuModel}, count=1, ips=4000000, reset_on_triple_fault=0, ignore_bad_msrs=0`,
    `floppya: 1_44=${o.floppy}, status=inserted`,
    'boot: floppy',
    'floppy_bootsig_check: disabled=0',
    'display_library: term',
    'port_e9_hack: enabled=1',
    'clock: sync=none, time0=local',
    'speaker: enabled=0',
    'magic_break: enabled=1',
    // Bochs's CPU panics where it meets something it does not implement (e.g. ">>PANIC<< VMCALL: not
    // implemented yet" for VMCALL in VMX root operation with a clear current VMCS). Reported, not fatal,
    // so the instruction completes the way Bochs then completes it and the scenario fails on that outcome,
    // with the panic line as a note, instead of ending in an error. Panics of every other module stay
    // fatal; a host triple fault still stops Bochs at once (its internal debugger breaks and reads "quit").
    'panic: action=fatal, cpu0=report',
    'error: action=report',
    'info: action=report',
    `log: ${o.log}`,
    `com1: enabled=1, mode=socket-client, dev=127.0.0.1:${o.port}`,
    '',
  ].join('\n');
}
