// Dev and test only: answers for the commands of ../credentials.ts.
import type { CheckResult } from '../bindings/CheckResult';
import type { CredentialSet } from '../bindings/CredentialSet';
import type { CredentialStatus } from '../bindings/CredentialStatus';
import { missing, noLane, type Answer, type Answers } from './answer';
import type { LanesMockBackend } from './lanes';

export interface CredentialsMockBackend {
  credentialStatus?: (laneId: string) => Answer<CredentialStatus>;
  credentialSet?: (laneId: string, secret: string, allowHost: string | null) => Answer<CredentialSet>;
  credentialCheck?: (laneId: string) => Answer<CheckResult>;
  /** Answers `credentials_delete`; the default says a secret was there and is gone. */
  credentialDelete?: (laneId: string) => Answer<boolean>;
}

/** By default a lane's credential is what `lanes_list` says of it. */
async function statusFromLanes(lanes: LanesMockBackend['lanes'], laneId: string): Promise<CredentialStatus> {
  const lane = (await lanes?.())?.find((l) => l.lane_id === laneId);
  if (!lane) return noLane(laneId);
  return lane.credential;
}

export const credentialAnswers: Answers<CredentialsMockBackend & LanesMockBackend> = {
  credentials_status: (b, a) => b.credentialStatus?.(a.laneId as string) ?? statusFromLanes(b.lanes, a.laneId as string),
  credentials_set: (b, a, cmd) => b.credentialSet?.(a.laneId as string, a.secret as string, (a.allowHost as string | null | undefined) ?? null) ?? missing(cmd),
  credentials_check: (b, a, cmd) => b.credentialCheck?.(a.laneId as string) ?? missing(cmd),
  credentials_delete: (b, a) => b.credentialDelete?.(a.laneId as string) ?? true,
};
