import type { JsonValue, LaneDetail } from '../ipc';

/**
 * /work/shared/fixtures/lane_account_sync.yaml (the reference contract), converted to JSON by
 * hand, as `lane_show` returns it: sections in struct order, and with the defaults the Rust side
 * applies (`replay_console` is not in the YAML; its values are the contract's defaults).
 */
export const accountSyncContract = {
  salesforce_lane: {
    lane_id: 'account_sync_north_america',
    system_of_record: 'salesforce',
    business_owner: 'revops_manager',
    technical_owner: 'integration_operator',
    integration_user: 'sf_account_sync_app',
  },
  identity_policy: {
    object: 'Account',
    external_id_field: 'billing_account_id__c',
    search_before_write: true,
    duplicate_rule_reviewed: true,
    matching_rule_reviewed: true,
    create_new_record_only_when: ['no_existing_external_id_match', 'no_existing_approved_business_key_match'],
  },
  ownership_policy: {
    first_owner_source: 'assignment_rule_or_route_table',
    fallback_owner: 'revenue_ops_queue',
    owner_override_allowed_only_when: ['explicit_reassignment_reason', 'downstream_owner_change_is_approved'],
    alert_if_fallback_owner_used_above_percent: 5,
  },
  write_policy: {
    operation: 'upsert',
    external_id_must_be_unique: true,
    protected_fields: ['OwnerId', 'Tier__c', 'Lifecycle_Stage__c'],
    block_write_if: ['external_id_missing', 'duplicate_conflict_detected', 'protected_field_conflict'],
  },
  replay_policy: {
    event_key: 'source_event_id_or_composite_business_key',
    verify_before_replay: ['target_record_id', 'last_write_result', 'owner_state'],
    manual_replay_requires: ['operator_name', 'replay_reason', 'expected_side_effect_review'],
  },
  observability: {
    alert_owner: 'revops_incidents',
    log_dimensions: ['integration_user', 'external_id', 'record_type', 'operation_type'],
    critical_alerts: [
      'duplicate_conflict_detected',
      'fallback_owner_spike',
      'replay_blocked',
      'protected_field_overwrite_attempt',
    ],
  },
  connection: {
    instance_url: 'https://acme.my.salesforce.com',
    api_version: '66.0',
    auth: 'jwt_bearer',
    client_id: '3MVG9EXAMPLECONSUMERKEY',
    username: 'sf_account_sync_app@acme.example',
    audience: 'https://login.salesforce.com',
  },
  replay_console: {
    business_key_fields: ['Name'],
    preflight_max_age_minutes: 15,
  },
} satisfies Record<string, Record<string, JsonValue>>;

export const accountSyncLane: LaneDetail = {
  lane_id: 'account_sync_north_america',
  version: 2,
  imported_at: '2026-11-21T08:30:00.000Z',
  source_name: 'contracts/lane_account_sync.yaml',
  sha256: '9f2c4b7e1a0d3c5e8f6a7b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e',
  contract: accountSyncContract,
  versions: [
    {
      version: 2,
      source_name: 'contracts/lane_account_sync.yaml',
      sha256: '9f2c4b7e1a0d3c5e8f6a7b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e',
      imported_at: '2026-11-21T08:30:00.000Z',
    },
    {
      version: 1,
      source_name: 'contracts/lane_account_sync.v1.yaml',
      sha256: '0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
      imported_at: '2026-11-19T16:02:11.000Z',
    },
  ],
};
