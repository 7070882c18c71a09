/**
 * Serves any in-process Implementation over the JSON-lines protocol on a pair of streams
 * (`vmx-conform serve` uses stdin/stdout). Requests are handled one at a time, in order.
 * A request that fails schema validation gets an error response naming what was wrong; it never
 * stops the server.
 */
import * as readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ContractError, type Implementation } from '../contract/types';
import {
  bytesToHex, decodeInstruction, decodeState, encodeCapabilities, encodeOutcome, encodeState, hexToBytes, unhex,
  validateRequest, type OpName,
} from '../contract/wire';

async function dispatch(impl: Implementation, req: Record<string, any>): Promise<Record<string, unknown>> {
  const op = req.op as OpName;
  switch (op) {
    case 'hello':
      return { ...(await impl.hello()) };
    case 'reset': {
      const { profile, processors, memoryBytes } = req;
      return encodeCapabilities(await impl.reset({ profile, processors, memoryBytes }));
    }
    case 'writeMemory':
      await impl.writeMemory(unhex(req.address), hexToBytes(req.data));
      return {};
    case 'readMemory':
      return { data: bytesToHex(await impl.readMemory(unhex(req.address), req.length)) };
    case 'setState':
      await impl.setState(req.cpu, decodeState(req.values));
      return {};
    case 'getState':
      return { values: encodeState(await impl.getState(req.cpu, req.names)) };
    case 'execute':
      return { outcome: encodeOutcome(await impl.execute(req.cpu, decodeInstruction(req.instruction), { maxSteps: req.maxSteps, afterMovSs: req.afterMovSs })) };
    case 'run':
      return { outcome: encodeOutcome(await impl.run(req.cpu, { maxSteps: req.maxSteps })) };
    case 'deliverEvent':
      await impl.deliverEvent(req.cpu, req.event);
      return {};
    case 'evidence':
      return { items: impl.evidence ? await impl.evidence() : [] };
  }
}

export async function serve(impl: Implementation, input: Readable, output: Writable): Promise<void> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const send = (msg: unknown) => output.write(JSON.stringify(msg) + '\n');
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let req: any;
    try {
      req = JSON.parse(line);
    } catch (e) {
      send({ id: 0, ok: false, error: { code: 'bad-request', message: `not JSON: ${(e as Error).message}` } });
      continue;
    }
    const id = typeof req?.id === 'number' && Number.isInteger(req.id) && req.id >= 0 ? req.id : 0;
    const invalid = validateRequest(req);
    if (invalid) {
      send({ id, ok: false, error: { code: 'bad-request', message: `request does not match the protocol schema: ${invalid}` } });
      continue;
    }
    try {
      send({ id, ok: true, result: await dispatch(impl, req) });
    } catch (e) {
      const code = e instanceof ContractError && (e.code === 'bad-request' || e.code === 'unsupported') ? e.code : 'internal';
      send({ id, ok: false, error: { code, message: (e as Error).message } });
    }
  }
  await impl.close();
}
