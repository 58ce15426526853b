// Why a button is disabled for the login at the console (team mode's roles, lib/roles.ts).

/** The reason a role lacks a privilege, shown beside the disabled button it explains. */
export function RoleNote({ id, reason }: { id?: string; reason: string | null }) {
  if (reason === null) return null;
  return (
    <p id={id} className="role-note" role="note">
      {reason}
    </p>
  );
}
