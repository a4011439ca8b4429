/**
 * The file names phones ask for at boot, recognised in any case: firmware differs in how it
 * spells them (`SEPDefault.cnf.xml`, `SEPdefault.cnf`, `sep0008a37128e9.cnf.xml`).
 */

export type ConfigFileName =
  /** `SEP<MAC>.cnf.xml`; `device` is the phone's name with the MAC in upper case. */
  | { readonly kind: 'device-xml'; readonly device: string }
  /** `SEP<MAC>.cnf`, the pre-XML format of CallManager 3.x SCCP phones. */
  | { readonly kind: 'device-legacy'; readonly device: string }
  /** `SEPDefault.cnf.xml`: the file for a phone that is not in the database (auto-registration). */
  | { readonly kind: 'default-device-xml' }
  | { readonly kind: 'default-device-legacy' }
  /** `XMLDefault.cnf.xml`: CallManager group and default loads for every model. */
  | { readonly kind: 'xml-default' }
  /** `OS79XX.TXT`: the image a 7940/7960 should run. */
  | { readonly kind: 'os79xx' };

const DEVICE_FILE = /^SEP([0-9A-F]{12})\.CNF(\.XML)?$/;

/** What `name` asks for, or undefined when it is not a generated file's name. */
export function parseConfigFileName(name: string): ConfigFileName | undefined {
  if (name.length > 32) return undefined;
  const upper = name.toUpperCase();
  switch (upper) {
    case 'SEPDEFAULT.CNF.XML':
      return { kind: 'default-device-xml' };
    case 'SEPDEFAULT.CNF':
      return { kind: 'default-device-legacy' };
    case 'XMLDEFAULT.CNF.XML':
      return { kind: 'xml-default' };
    case 'OS79XX.TXT':
      return { kind: 'os79xx' };
  }
  const match = DEVICE_FILE.exec(upper);
  if (!match) return undefined;
  const device = `SEP${match[1]}`;
  return match[2] ? { kind: 'device-xml', device } : { kind: 'device-legacy', device };
}

/** The phone a request concerns when its name says so (`SEP<MAC>…`), for the fetch log. */
export function deviceOfFileName(name: string): string | undefined {
  const parsed = parseConfigFileName(name);
  return parsed && 'device' in parsed ? parsed.device : undefined;
}
