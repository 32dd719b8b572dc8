import { render } from 'preact';
import { useState } from 'preact/hooks';
import { type Session, loadSession, saveSession, sessionOfToken } from './api';
import { textOf } from './form';
import { navigate, onLinkClick, usePath } from './router';
import { CommunePage, CommunesPage, LifecyclePage, CataloguePage } from './admin';
import { IntegrityPage, LedgerPage, TimelinePage } from './audit';
import { FeedPage } from './feed';
import './style.css';

const ROLE_LABELS: Record<Session['role'], string> = {
  admin: 'Administration (back office)',
  auditor: 'Audit',
  consumer: 'Intégrateur (flux)',
  commune: 'Commune',
};

function SignIn({ onSession }: { onSession: (session: Session) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function devLogin(event: Event) {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const body = {
      role: textOf(data, 'role'),
      sub: textOf(data, 'sub'),
      ...(textOf(data, 'insee') ? { insee: textOf(data, 'insee') } : {}),
    };
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/api/dev/tokens', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status === 404)
        return setError(
          "La connexion de développement n'existe pas en production : collez un jeton de votre fournisseur d'identité ci-dessous.",
        );
      const answer = (await response.json()) as { token?: string; errors?: Array<{ field: string; message: string }>; detail?: string };
      if (!response.ok || !answer.token)
        return setError(answer.errors?.map((e) => `${e.field} : ${e.message}`).join(' ; ') ?? answer.detail ?? 'Refusé');
      const session = sessionOfToken(answer.token);
      if (session) onSession(session);
    } finally {
      setBusy(false);
    }
  }
  function paste(event: Event) {
    event.preventDefault();
    const token = textOf(new FormData(event.currentTarget as HTMLFormElement), 'token');
    const session = sessionOfToken(token);
    if (!session) return setError("Ce jeton n'est pas lisible (JWT avec un rôle attendu).");
    onSession(session);
  }
  return (
    <main id="contenu" class="signin">
      <h1>Connexion</h1>
      {error && (
        <div class="banner error" role="alert">
          {error}
        </div>
      )}
      <form id="dev-login" onSubmit={(event) => void devLogin(event)} aria-labelledby="dev-login-title">
        <h2 id="dev-login-title">Connexion de développement</h2>
        <div class="field">
          <label for="login-role">Rôle</label>
          <select id="login-role" name="role">
            {(Object.keys(ROLE_LABELS) as Session['role'][]).map((role) => (
              <option value={role} key={role}>
                {ROLE_LABELS[role]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="login-sub">Nom (enregistré dans l'audit)</label>
          <input id="login-sub" name="sub" required defaultValue="agent.metropole" />
        </div>
        <div class="field">
          <label for="login-insee">Code INSEE (rôle commune)</label>
          <input id="login-insee" name="insee" inputMode="numeric" />
        </div>
        <button type="submit" disabled={busy}>
          Se connecter
        </button>
      </form>
      <form id="token-login" onSubmit={paste} aria-labelledby="token-login-title">
        <h2 id="token-login-title">Jeton d'accès (OIDC, production)</h2>
        <div class="field">
          <label for="login-token">Jeton « Bearer »</label>
          <textarea id="login-token" name="token" rows={3} />
        </div>
        <button type="submit">Utiliser ce jeton</button>
      </form>
    </main>
  );
}

const NAV: Record<Session['role'], Array<[string, string]>> = {
  admin: [
    ['/communes', 'Communes'],
    ['/cycle', 'Échéances'],
    ['/catalogue', 'Catalogue et référentiels'],
    ['/registre', 'Registre annuel'],
    ['/integrite', 'Intégrité'],
  ],
  auditor: [
    ['/communes', 'Communes'],
    ['/registre', 'Registre annuel'],
    ['/integrite', 'Intégrité'],
  ],
  consumer: [['/flux', 'Flux en direct']],
  commune: [['/communes', 'Ma commune']],
};

function Page({ session, path }: { session: Session; path: string }) {
  const commune = /^\/communes\/([0-9AB]{5})$/.exec(path);
  if (commune) return <CommunePage insee={commune[1]} session={session} />;
  const timeline = /^\/conventions\/([0-9AB]{5}-\d+)\/historique$/.exec(path);
  if (timeline) return <TimelinePage id={timeline[1]} />;
  switch (path) {
    case '/communes':
      return session.role === 'commune' && session.insee ? <CommunePage insee={session.insee} session={session} /> : <CommunesPage />;
    case '/cycle':
      return <LifecyclePage />;
    case '/catalogue':
      return <CataloguePage />;
    case '/registre':
      return <LedgerPage />;
    case '/integrite':
      return <IntegrityPage />;
    case '/flux':
      return <FeedPage />;
    default:
      return <p>Page inconnue.</p>;
  }
}

function App() {
  const [session, setSession] = useState<Session | null>(loadSession());
  const path = usePath();
  const signIn = (next: Session) => {
    saveSession(next);
    setSession(next);
    navigate(NAV[next.role][0][0]);
  };
  if (!session) return <SignIn onSession={signIn} />;
  if (path === '/') queueMicrotask(() => navigate(NAV[session.role][0][0]));
  return (
    <div onClick={onLinkClick}>
      <a class="skip" href="#contenu">
        Aller au contenu
      </a>
      <header>
        <p class="brand">Conventions cadre — Métropole de Lyon</p>
        <nav aria-label="Navigation principale">
          <ul>
            {NAV[session.role].map(([href, label]) => (
              <li key={href}>
                <a href={href} aria-current={path.startsWith(href) ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <p class="who">
          {session.sub} ({ROLE_LABELS[session.role]})
          <button
            type="button"
            onClick={() => {
              saveSession(null);
              setSession(null);
              navigate('/');
            }}
          >
            Se déconnecter
          </button>
        </p>
      </header>
      <main id="contenu" tabIndex={-1}>
        <Page session={session} path={path} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
