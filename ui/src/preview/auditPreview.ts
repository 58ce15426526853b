// Dev-only (preview.html): walks the audit screen and the export dialog, for screenshots. With
// ?screen=audit:
//   &entry=3        open the 3rd row's entry            &verify: press "Verify chain"
//   &export         open the export dialog; &out=PATH: type this path; &window=FROM..TO: an
//                   incident window; &start: start it; &cancel: press Cancel shortly after
// (?audit=N sets the log's size and ?tamper=SEQ changes an entry: auditDataset.ts.)
import { button, setValue, when } from './drive';

const params = new URLSearchParams(window.location.search);

if (params.get('screen') === 'audit') {
  const entry = Number(params.get('entry') ?? 0);
  if (entry > 0) when(() => document.querySelector<HTMLElement>(`.audit-entries tbody tr[data-index="${entry - 1}"]`), (row) => row.click());
  if (params.has('verify')) when(() => button(/^Verify chain$/), (b) => b.click());
  if (params.has('export')) {
    when(
      () => button(/^Export…$/),
      (b) => {
        b.click();
        when(
          () => document.querySelector<HTMLInputElement>('.audit-export-dialog input.mono'),
          (input) => {
            // After the home folder has filled the suggestion.
            setTimeout(() => {
              const out = params.get('out');
              if (out !== null) setValue(input as HTMLInputElement, out);
              const win = params.get('window');
              if (win !== null) {
                const [from, to] = win.split('..');
                [...document.querySelectorAll<HTMLInputElement>('.audit-export-dialog input[type="radio"]')][3]?.click();
                setTimeout(() => {
                  const fields = document.querySelectorAll<HTMLInputElement>('.audit-window input');
                  if (fields[0]) setValue(fields[0], from ?? '');
                  if (fields[1]) setValue(fields[1], to ?? '');
                }, 50);
              }
              if (!params.has('start')) return;
              setTimeout(() => {
                button(/^Start export$/)?.click();
                if (params.has('cancel')) setTimeout(() => button(/^Cancel export$/)?.click(), 1200);
              }, 150);
            }, 200);
          },
        );
      },
    );
  }
}

// A module, not a script: its names stay its own.
export {};
