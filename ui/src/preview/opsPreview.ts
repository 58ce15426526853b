// Dev-only (preview.html): walks the import dialog, the credential card and the alerts panel, for
// screenshots. URL parameters, besides preview.tsx's:
//   ?import=/path/file.ndjson   open the import dialog with this path; &start: start it
//                               (a path with `bad` is rejected, `missing` does not exist);
//                               &cancel: press Cancel shortly after
//   ?screen=lanes&lane=3        pick the 3rd lane; &cred=set|check|delete: press that action,
//                               &secret=TEXT: with set, type it and store it
//   ?alerts                     expand the alerts panel on the queue
import { button, setValue, when } from './drive';

const params = new URLSearchParams(window.location.search);

const importPath = params.get('import');
if (importPath !== null) {
  when(
    () => button(/^Import events…$/),
    (b) => {
      b.click();
      when(
        () => document.querySelector<HTMLInputElement>('.import-dialog input[type="text"]'),
        (input) => {
          setValue(input as HTMLInputElement, importPath);
          if (!params.has('start')) return;
          setTimeout(() => {
            button(/^Start import$/)?.click();
            if (params.has('cancel')) setTimeout(() => button(/^Cancel import$/)?.click(), 900);
          }, 50);
        },
      );
    },
  );
}

const laneIndex = Number(params.get('lane') ?? 0);
if (laneIndex > 0) when(() => document.querySelectorAll<HTMLElement>('.lane-item')[laneIndex - 1], (b) => b.click());

const cred = params.get('cred');
if (cred !== null) {
  const names: Record<string, RegExp> = { set: /^(Set|Rotate) secret…$/, check: /^Check$/, delete: /^Delete…$/ };
  const name = names[cred];
  if (name) {
    // After the lane pick (if any) has rendered its card.
    setTimeout(
      () =>
        when(
          () => button(name, document.querySelector('.credential-card') ?? document),
          (b) => {
            b.click();
            const secret = params.get('secret');
            if (cred !== 'set' || secret === null) return;
            when(
              () => document.querySelector<HTMLTextAreaElement>('.secret-form textarea'),
              (field) => {
                setValue(field as HTMLTextAreaElement, secret);
                setTimeout(() => button(/^Store in keychain$/)?.click(), 50);
              },
            );
          },
        ),
      laneIndex > 0 ? 400 : 0,
    );
  }
}

if (params.has('alerts')) when(() => button(/^Show alerts and activity$/), (b) => b.click());
