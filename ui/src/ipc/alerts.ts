// The contract's critical alerts and the recent activity behind them.
import { useQuery } from '@tanstack/react-query';
import { commands } from './bindings/commands';
import type { AlertsView } from './bindings/AlertsView';

export type { AlertsView };
export type { Alert } from './bindings/Alert';
export type { Bucket } from './bindings/Bucket';

export const alertKeys = {
  // Under ['events', ...]: the queue's Refresh and an import refresh the alerts with the events.
  all: ['events', 'alerts'] as const,
};

export function useAlerts() {
  return useQuery({ queryKey: alertKeys.all, queryFn: () => commands.alerts() });
}
