/**
 * The stdio adapter: runs an implementation as a child process (any language) and speaks the JSON-lines
 * protocol with it (docs/protocol.md). The command is split into arguments and spawned without a shell.
 *
 * Every response is validated against the schema. A child that exits, sends something malformed, or does
 * not answer within the per-operation timeout fails the operation in progress with a ContractError saying
 * why; the child is killed and a fresh one is started on the next operation, so the run goes on.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as readline from 'node:readline';
import {
  ContractError, type Capabilities, type Diagnosed, type ExecuteOptions, type Implementation, type ImplementationInfo,
  type Instruction, type Outcome, type PlatformEvent, type ResetOptions, type StateValues,
} from '../contract/types';
import {
  bytesToHex, decodeCapabilities, decodeOutcome, decodeState, encodeInstruction, encodeState, hex, hexToBytes,
  validateResponse, validateResult, type OpName, type Request,
} from '../contract/wire';

/** Split a command line into words: whitespace separates, single and double quotes group, backslash escapes. */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < command.length) cur += command[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < command.length) {
      cur += command[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in command: ${command}`);
  if (inWord) words.push(cur);
  if (words.length === 0) throw new Error('empty command for the stdio implementation');
  return words;
}

interface Pending {
  op: OpName;
  resolve: (result: any) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface StdioOptions {
  /** Per-operation timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Timeout for the first answer of a freshly started child, which includes its start-up (default 30 000). */
  startupTimeoutMs?: number;
  /** Extra environment for the child. */
  env?: Record<string, string>;
}

export class StdioImplementation implements Implementation {
  private child?: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private stderrTail: string[] = [];
  private lastFailure?: string;
  /** True until the current child has answered once. */
  private starting = false;
  readonly argv: string[];
  readonly timeoutMs: number;
  readonly startupTimeoutMs: number;

  constructor(readonly command: string, private readonly options: StdioOptions = {}) {
    this.argv = splitCommand(command);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.startupTimeoutMs = Math.max(this.timeoutMs, options.startupTimeoutMs ?? 30_000);
  }

  private start(): ChildProcessWithoutNullStreams {
    const [file, ...args] = this.argv;
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...this.options.env }, shell: false });
    this.child = child;
    this.starting = true;
    child.on('error', (e) => this.fail(child, `could not run "${this.command}": ${e.message}`, 'crashed'));
    child.on('exit', (code, signal) =>
      this.fail(child, `implementation process exited (${signal ? `signal ${signal}` : `status ${code}`})`, 'crashed'));
    child.stdin.on('error', () => {}); // reported through 'exit'
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail.push(chunk);
      if (this.stderrTail.length > 50) this.stderrTail.splice(0, this.stderrTail.length - 50);
    });
    const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => this.onLine(child, line));
    return child;
  }

  /** Fail every operation in flight, kill the child, and let the next operation start a new one. */
  private fail(child: ChildProcessWithoutNullStreams, reason: string, code: 'crashed' | 'timeout' | 'protocol'): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.lastFailure = reason;
    const stderr = this.stderrTail.join('').trim();
    const detail = stderr ? `${reason}; its stderr ends with:\n${stderr.slice(-2000)}` : reason;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ContractError(code, detail));
    }
    this.pending.clear();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private onLine(child: ChildProcessWithoutNullStreams, line: string): void {
    if (line.trim() === '') return;
    let msg: any;
    try {
      msg = JSON.parse(line);
    } catch {
      return this.fail(child, `malformed message from the implementation (not JSON): ${line.slice(0, 200)}`, 'protocol');
    }
    const invalid = validateResponse(msg);
    if (invalid) return this.fail(child, `malformed message from the implementation: ${invalid}: ${line.slice(0, 200)}`, 'protocol');
    const p = this.pending.get(msg.id);
    if (!p) return this.fail(child, `response with unknown id ${msg.id}: ${line.slice(0, 200)}`, 'protocol');
    // A result of the wrong shape fails the operation while it is still pending, so fail() rejects it too.
    const bad = msg.ok ? validateResult(p.op, msg.result) : undefined;
    if (bad) return this.fail(child, `malformed ${p.op} result from the implementation: ${bad}: ${line.slice(0, 200)}`, 'protocol');
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    this.starting = false;
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new ContractError(msg.error.code, msg.error.message));
  }

  private call(req: Request): Promise<any> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    const limit = this.starting ? this.startupTimeoutMs : this.timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(child, `no answer to ${req.op} within ${limit} ms (implementation hung?)`, 'timeout'),
        limit,
      );
      this.pending.set(id, { op: req.op, resolve, reject, timer });
      child.stdin.write(JSON.stringify({ id, ...req }) + '\n');
    });
  }

  async hello(): Promise<ImplementationInfo> {
    return this.call({ op: 'hello' });
  }
  async reset(options: ResetOptions): Promise<Capabilities> {
    // Evidence belongs to one scenario: forget the previous scenario's stderr.
    this.stderrTail = [];
    this.lastFailure = undefined;
    return decodeCapabilities(await this.call({ op: 'reset', ...options }));
  }
  async writeMemory(address: bigint, data: Uint8Array): Promise<void> {
    await this.call({ op: 'writeMemory', address: hex(address), data: bytesToHex(data) });
  }
  async readMemory(address: bigint, length: number): Promise<Uint8Array> {
    return hexToBytes((await this.call({ op: 'readMemory', address: hex(address), length })).data);
  }
  async setState(cpu: number, values: StateValues): Promise<void> {
    await this.call({ op: 'setState', cpu, values: encodeState(values) });
  }
  async getState(cpu: number, names: string[]): Promise<StateValues> {
    return decodeState((await this.call({ op: 'getState', cpu, names })).values);
  }
  async execute(cpu: number, instruction: Instruction, options: ExecuteOptions = {}): Promise<Outcome & Diagnosed> {
    const r = await this.call({ op: 'execute', cpu, instruction: encodeInstruction(instruction), ...options });
    return decodeOutcome(r.outcome);
  }
  async run(cpu: number, options: ExecuteOptions = {}): Promise<Outcome & Diagnosed> {
    return decodeOutcome((await this.call({ op: 'run', cpu, ...options })).outcome);
  }
  async deliverEvent(cpu: number, event: PlatformEvent): Promise<void> {
    await this.call({ op: 'deliverEvent', cpu, event });
  }
  async evidence(): Promise<{ name: string; mediaType: string; body: string }[]> {
    const items: { name: string; mediaType: string; body: string }[] = [];
    if (this.lastFailure) items.push({ name: 'stdio implementation failure', mediaType: 'text/plain', body: this.lastFailure });
    if (this.child) {
      try {
        items.push(...(await this.call({ op: 'evidence' })).items);
      } catch {
        /* the failure itself is already recorded */
      }
    }
    const stderr = this.stderrTail.join('').trim();
    if (stderr) items.push({ name: 'implementation stderr', mediaType: 'text/plain', body: stderr.slice(-4000) });
    this.lastFailure = undefined;
    return items;
  }
  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    child.stdin.end();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 2000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
