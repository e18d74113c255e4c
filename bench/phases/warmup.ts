// Before anything on the long-lived servers is timed: JIT-warm both mixes' code paths, and open
// each client pool's keep-alive connections (their TLS handshakes would otherwise be timed).
import { fixedRate, saturate } from '../load.ts';
import type { Key } from '../plan.ts';
import type { Fleet } from '../rig.ts';
import type { Mix } from '../payloads.ts';

export async function warmUp(input: { fleet: Pick<Fleet, 'targets' | 'clients'>; mixOf: (key: Key) => Mix; connections: number; seconds: number }): Promise<void> {
  const { fleet, mixOf, connections, seconds } = input;
  for (const [i, target] of fleet.targets.entries()) {
    await saturate(target, mixOf('all-updates/50'), { connections, durationS: seconds });
    await saturate(target, mixOf('uncordons/500'), { connections, durationS: seconds / 2 });
    await fixedRate(fleet.clients[i]!, mixOf('all-updates/50'), 2000, 250, 10_000);
  }
}
