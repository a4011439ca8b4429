/**
 * Cisco device type numbers, which name a model's default load in XMLDefault.cnf.xml
 * (`<loadInformation7 model="Cisco 7960">`). Only models listed here get a default-load entry.
 */
import { modelKey } from './settings.js';

const DEVICE_TYPES: ReadonlyMap<string, { readonly type: number; readonly model: string }> = new Map(
  (
    [
      [6, 'Cisco 7910'],
      [7, 'Cisco 7960'],
      [8, 'Cisco 7940'],
      [9, 'Cisco 7935'],
      [115, 'Cisco 7941'],
      [119, 'Cisco 7971'],
      [307, 'Cisco 7911'],
      [308, 'Cisco 7961G-GE'],
      [309, 'Cisco 7941G-GE'],
      [348, 'Cisco 7931'],
      [365, 'Cisco 7921'],
      [369, 'Cisco 7906'],
      [404, 'Cisco 7962'],
      [431, 'Cisco 7937'],
      [434, 'Cisco 7942'],
      [435, 'Cisco 7945'],
      [436, 'Cisco 7965'],
      [437, 'Cisco 7975'],
      [484, 'Cisco 7925'],
      [495, 'Cisco 6921'],
      [496, 'Cisco 6941'],
      [497, 'Cisco 6961'],
      [493, 'Cisco 9971'],
      [537, 'Cisco 9951'],
      [540, 'Cisco 8961'],
      [621, 'Cisco 7821'],
      [622, 'Cisco 7841'],
      [623, 'Cisco 7861'],
      [683, 'Cisco 8841'],
      [684, 'Cisco 8851'],
      [685, 'Cisco 8861'],
      [20000, 'Cisco 7905'],
      [30006, 'Cisco 7970'],
      [30007, 'Cisco 7912'],
      [30008, 'Cisco 7902'],
      [30018, 'Cisco 7961'],
    ] as const
  ).map(([type, model]) => [modelKey(model), { type, model }]),
);

/** The device type and Cisco's model name for a configured model, if it is a known phone. */
export function deviceTypeOf(model: string): { readonly type: number; readonly model: string } | undefined {
  return DEVICE_TYPES.get(modelKey(model));
}
