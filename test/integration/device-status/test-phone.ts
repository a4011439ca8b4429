/**
 * A simulated Cisco SIP phone for tests, built on the SIP stack: it boots as seed §2 says (its
 * own file over TFTP, else SEPDefault), reads its CallManager group and line from the file, and
 * registers with digest authentication as CP-7960G firmware does (its MAC in +sip.instance).
 */
import { XMLParser } from 'fast-xml-parser';
import {
  authorizeRequest,
  createRequest,
  type DigestAccount,
  type Endpoint,
  formatUri,
  generateCallId,
  generateTag,
  type SipResponse,
  type SipStack,
} from '../../../src/sip/index.js';
import type { RemoteEndpoint } from '../../../src/tftp/index.js';
import { tftpGet } from '../tftp/tftp-client.js';

/** What a phone's configuration file tells it. */
export interface PhoneFile {
  readonly file: string;
  /** CallManager group members, in failover order. */
  readonly nodes: readonly string[];
  readonly lines: readonly {
    readonly dn: string;
    readonly authName: string;
    readonly authPassword: string;
  }[];
}

const parser = new XMLParser({ parseTagValue: false, ignoreAttributes: false });

type Xml = { [key: string]: Xml | Xml[] | string | undefined };
const list = (value: Xml | Xml[] | string | undefined): Xml[] =>
  value === undefined || typeof value === 'string' ? [] : Array.isArray(value) ? value : [value];
const child = (value: Xml | undefined, name: string): Xml | undefined => list(value?.[name])[0];
const text = (value: Xml | undefined, name: string): string => {
  const found = value?.[name];
  return typeof found === 'string' ? found : '';
};

export function readPhoneFile(file: string, xml: string): PhoneFile {
  const device = child(parser.parse(xml) as Xml, 'device');
  const group = child(child(device, 'devicePool'), 'callManagerGroup');
  const members = list(child(group, 'members')?.member).sort(
    (a, b) => Number(a['@_priority']) - Number(b['@_priority']),
  );
  const lines = list(child(child(device, 'sipProfile'), 'sipLines')?.line).map((line) => ({
    dn: text(line, 'name'),
    authName: text(line, 'authName'),
    authPassword: text(line, 'authPassword'),
  }));
  return { file, nodes: members.map((member) => text(child(member, 'callManager'), 'name')), lines };
}

/** TFTP boot: `SEP<MAC>.cnf.xml`, else `SEPDefault.cnf.xml` (R-REG-39); undefined when neither is there. */
export async function fetchPhoneFile(tftp: RemoteEndpoint, mac: string): Promise<PhoneFile | undefined> {
  for (const file of [`SEP${mac}.cnf.xml`, 'SEPDefault.cnf.xml']) {
    const result = await tftpGet({ server: tftp, file, timeoutMs: 1000, retries: 5 });
    if (result.data) return readPhoneFile(file, result.data.toString('utf8'));
  }
  return undefined;
}

export interface RegisterOptions {
  readonly stack: SipStack;
  readonly target: Endpoint;
  readonly mac: string;
  readonly dn: string;
  readonly account: DigestAccount;
  readonly userAgent?: string;
  readonly expires?: number;
  readonly callId?: string;
  readonly cseq?: number;
}

async function finalResponse(responses: AsyncIterable<SipResponse>): Promise<SipResponse> {
  let final: SipResponse | undefined;
  for await (const response of responses) if (response.status >= 200) final = response;
  if (!final) throw new Error('no final response');
  return final;
}

/** REGISTER, answering one 401 challenge; resolves with the final response and the next CSeq. */
export async function registerPhone(
  options: RegisterOptions,
): Promise<{ response: SipResponse; cseq: number }> {
  const { stack, target, mac, dn } = options;
  const callId = options.callId ?? generateCallId();
  const fromTag = generateTag();
  const transport = target.protocol === 'UDP' ? '' : `;transport=${target.protocol.toLowerCase()}`;
  const contact = stack.contact(target.protocol, dn);
  const build = (cseq: number, authorization: [string, string][]) =>
    createRequest({
      method: 'REGISTER',
      uri: `sip:${target.address}:${target.port}${transport}`,
      from: `<sip:${dn}@${target.address}>;tag=${fromTag}`,
      to: `<sip:${dn}@${target.address}>`,
      callId,
      cseq,
      headers: [
        ['Contact', `<${formatUri(contact.uri)}>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-${mac}>"`],
        ['Expires', String(options.expires ?? 600)],
        ['User-Agent', options.userAgent ?? 'Cisco-CP7960G/8.0'],
        ...authorization,
      ],
    });
  let cseq = options.cseq ?? 1;
  const first = build(cseq, []);
  let response = await finalResponse(stack.request(first, { target }));
  cseq++;
  if (response.status === 401) {
    const authorization = authorizeRequest({ response, request: first, account: options.account });
    if (!authorization.ok) throw new Error(authorization.error.message);
    const values = authorization.value.values.map((value): [string, string] => [
      authorization.value.name,
      value,
    ]);
    response = await finalResponse(stack.request(build(cseq, values), { target }));
    cseq++;
  }
  return { response, cseq };
}
