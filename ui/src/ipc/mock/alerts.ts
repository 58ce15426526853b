// Dev and test only: answers for the commands of ../alerts.ts.
import type { AlertsView } from '../bindings/AlertsView';
import type { Answer, Answers } from './answer';

export interface AlertsMockBackend {
  /** Answers `alerts`; the default is no alert and an empty series. */
  alerts?: () => Answer<AlertsView>;
}

export const alertAnswers: Answers<AlertsMockBackend> = {
  alerts: (b) => b.alerts?.() ?? { window_hours: 24, since: '2026-11-20T00:00:00Z', alerts: [], series: [] },
};
