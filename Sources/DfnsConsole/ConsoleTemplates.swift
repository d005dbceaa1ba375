/// The console's Mustache templates, stylesheet and script, compiled into the binary: nothing to install next to
/// it and nothing fetched from elsewhere (operators' networks are closed). `{{value}}` is HTML-escaped; the
/// templates never use the unescaped forms.
enum ConsoleTemplates {
    static let all: [String: String] = [
        "header": header, "footer": footer, "overview": overview, "jobs": jobs, "job": job, "login": login, "problem": problem,
    ]

    static let header = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · dfns-worker console</title>
        <link rel="icon" href="{{base}}/assets/icon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="{{base}}/assets/console.css">
        <script src="{{base}}/assets/console.js" defer></script>
        </head>
        <body{{#refresh}} data-refresh="{{refresh}}"{{/refresh}}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="bar">
        <nav aria-label="Console">
        <a class="brand" href="{{base}}/">dfns-worker</a>
        <a href="{{base}}/"{{#onOverview}} aria-current="page"{{/onOverview}}>Overview</a>
        <a href="{{base}}/jobs"{{#onJobs}} aria-current="page"{{/onJobs}}>Jobs</a>
        </nav>
        <form class="find" action="{{base}}/jobs" method="get" role="search">
        <label for="find">Find a job</label>
        <input id="find" name="q" type="search" placeholder="id, externalId, wallet, transfer…" value="{{searchText}}">
        <button type="submit">Find</button>
        </form>
        <div class="session">
        {{#operator}}<span>Signed in as <strong>{{name}}</strong></span>
        <form method="post" action="{{base}}/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Sign out</button></form>{{/operator}}
        {{^operator}}{{#canSignIn}}<a href="{{base}}/login">Sign in to act</a>{{/canSignIn}}{{^canSignIn}}<span>Read-only: no operators set</span>{{/canSignIn}}{{/operator}}
        </div>
        </header>
        <main id="main">
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{#problem}}<p class="alert" role="alert">{{problem}}</p>{{/problem}}

        """

    static let footer = """
        </main>
        <footer><p>Rendered {{renderedAt}}{{#refresh}} · refreshes every {{refresh}} s <button type="button" id="pause" aria-pressed="false">Pause</button>{{/refresh}}</p></footer>
        </body>
        </html>

        """

    static let overview = """
        {{> header}}
        <h1>Overview</h1>
        <section aria-labelledby="glance">
        <h2 id="glance">At a glance</h2>
        <ul class="tiles">
        {{#tiles}}<li class="tile {{tone}}"><span class="count">{{count}}</span> <span>{{label}}</span></li>{{/tiles}}
        </ul>
        {{#alerts}}<p class="alert" role="alert">{{.}}</p>{{/alerts}}
        </section>
        <section aria-labelledby="queues">
        <h2 id="queues">Queues and kinds</h2>
        {{#hasRows}}
        <div class="scroll"><table>
        <caption>Active jobs by state, and jobs done, failed and retried over the last 5 and 60 minutes</caption>
        <thead><tr><th scope="col">Queue</th><th scope="col">Kind</th><th scope="col">Queued</th><th scope="col">Running</th><th scope="col">Retrying</th><th scope="col">Waiting</th><th scope="col">Done 5 / 60 min</th><th scope="col">Failed 5 / 60 min</th><th scope="col">Retried 5 / 60 min</th></tr></thead>
        <tbody>
        {{#rows}}<tr><th scope="row"><a href="{{queueLink}}">{{queue}}</a></th><td><a href="{{kindLink}}">{{kind}}</a></td>{{#cells}}<td class="num">{{#link}}<a href="{{link}}">{{count}}</a>{{/link}}{{^link}}{{count}}{{/link}}</td>{{/cells}}<td class="num">{{done}}</td><td class="num{{#failing}} bad{{/failing}}">{{failed}}</td><td class="num">{{retried}}</td></tr>
        {{/rows}}
        </tbody></table></div>
        {{/hasRows}}
        {{^hasRows}}<p>No job is active and none finished in the last hour.</p>{{/hasRows}}
        </section>
        <section aria-labelledby="dfns">
        <h2 id="dfns">Waiting on Dfns</h2>
        {{#hasWaiting}}<div class="scroll"><table>
        <caption>Jobs following a Dfns entity, by its last known status</caption>
        <thead><tr><th scope="col">Queue</th><th scope="col">Kind</th><th scope="col">Dfns status</th><th scope="col">Jobs</th></tr></thead>
        <tbody>{{#waiting}}<tr><td>{{queue}}</td><td>{{kind}}</td><td>{{dfnsStatus}}</td><td class="num"><a href="{{link}}">{{count}}</a></td></tr>{{/waiting}}</tbody>
        </table></div>{{/hasWaiting}}
        {{^waiting}}<p>No job is waiting on Dfns.</p>{{/waiting}}
        </section>
        <section aria-labelledby="workers">
        <h2 id="workers">Workers alive</h2>
        {{#hasWorkers}}<div class="scroll"><table>
        <caption>Workers with a heartbeat in the last 30 seconds</caption>
        <thead><tr><th scope="col">Worker</th><th scope="col">Host</th><th scope="col">Started</th><th scope="col">Last heartbeat</th><th scope="col">In flight</th><th scope="col">State</th></tr></thead>
        <tbody>{{#workers}}<tr><td><code>{{id}}</code></td><td>{{host}} (pid {{pid}})</td><td><time datetime="{{startedISO}}">{{started}}</time></td><td>{{heartbeat}}</td><td class="num">{{inFlight}}</td><td class="{{tone}}">{{state}}</td></tr>{{/workers}}</tbody>
        </table></div>{{/hasWorkers}}
        {{^workers}}<p class="alert" role="alert">No worker has sent a heartbeat in the last 30 seconds.</p>{{/workers}}
        </section>
        {{> footer}}
        """

    static let jobs = """
        {{> header}}
        <h1>Jobs</h1>
        <form class="filters" action="{{base}}/jobs" method="get">
        <div><label for="state">State</label>
        <select id="state" name="state"><option value="">any</option>{{#states}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/states}}</select></div>
        <div><label for="kind">Kind</label>
        <select id="kind" name="kind"><option value="">any</option>{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/kinds}}</select></div>
        <div><label for="queue">Queue</label>
        <select id="queue" name="queue"><option value="">any</option>{{#queues}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/queues}}</select></div>
        <div><label for="since">Created</label>
        <select id="since" name="since"><option value="">any time</option>{{#sinces}}<option value="{{value}}"{{#selected}} selected{{/selected}}>last {{value}}</option>{{/sinces}}</select></div>
        <div class="wide"><label for="q">Job id, externalId, unique key, Dfns id</label><input id="q" name="q" type="search" value="{{searchText}}"></div>
        <div><button type="submit">Filter</button> <a href="{{base}}/jobs">Clear</a></div>
        </form>
        {{#hasSummaries}}
        <div class="scroll"><table class="jobs">
        <caption>{{caption}}</caption>
        <thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col">Queue</th><th scope="col">Kind</th><th scope="col">Attempt</th><th scope="col">Created</th><th scope="col">Dfns</th><th scope="col">Last error</th></tr></thead>
        <tbody>
        {{#summaries}}<tr><th scope="row"><a href="{{base}}/jobs/{{id}}">#{{id}}</a></th><td><span class="state {{state}}">{{state}}</span>{{#due}}<br><small>{{due}}</small>{{/due}}</td><td>{{queue}}</td><td>{{kind}}</td><td class="num">{{attempt}}/{{maxAttempts}}</td><td><time datetime="{{createdISO}}">{{created}}</time></td><td>{{#entityId}}<code>{{entityId}}</code>{{/entityId}}{{#dfnsStatus}} {{dfnsStatus}}{{/dfnsStatus}}</td><td>{{#errorCode}}<code>{{errorCode}}</code> {{errorMessage}}{{/errorCode}}</td></tr>
        {{/summaries}}
        </tbody></table></div>
        {{/hasSummaries}}
        {{^summaries}}<p>No job matches.</p>{{/summaries}}
        <nav class="pages" aria-label="Pages">{{#firstPage}}<a href="{{firstPage}}">Newest</a>{{/firstPage}} {{#nextPage}}<a href="{{nextPage}}" rel="next">Older jobs</a>{{/nextPage}}</nav>
        {{> footer}}
        """

    static let job = """
        {{> header}}
        <h1>Job #{{id}} <span class="state {{state}}">{{state}}</span></h1>
        <p class="lead">{{kind}} on queue {{queue}} · attempt {{attempt}} of {{maxAttempts}}{{#requeues}} · retried by an operator {{requeues}}×{{/requeues}}</p>
        <section aria-labelledby="actions">
        <h2 id="actions">What you can do</h2>
        <ul class="actions">
        {{#actions}}<li>{{#allowed}}{{#signedIn}}<form method="post" action="{{base}}/jobs/{{id}}/actions"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="{{action}}"><button type="submit" class="{{tone}}">{{label}}</button></form> <span>{{explain}}</span>{{/signedIn}}{{^signedIn}}<strong>{{label}}</strong>: possible now; {{signInHint}}{{/signedIn}}{{/allowed}}{{^allowed}}<strong>Cannot {{verb}}</strong>: {{refusal}}{{/allowed}}</li>
        {{/actions}}
        </ul>
        </section>
        <section aria-labelledby="facts">
        <h2 id="facts">Job</h2>
        <dl class="facts">
        {{#facts}}<dt>{{label}}</dt><dd>{{#code}}<code>{{value}}</code>{{/code}}{{^code}}{{value}}{{/code}}{{#note}} <small>{{note}}</small>{{/note}}</dd>{{/facts}}
        </dl>
        </section>
        <section aria-labelledby="dfns">
        <h2 id="dfns">At Dfns</h2>
        <dl class="facts">
        {{#dfns}}<dt>{{label}}</dt><dd>{{#code}}<code>{{value}}</code>{{/code}}{{^code}}{{value}}{{/code}}{{#note}} <small>{{note}}</small>{{/note}}</dd>{{/dfns}}
        </dl>
        </section>
        <section aria-labelledby="history">
        <h2 id="history">History</h2>
        <ol class="timeline">
        {{#timeline}}<li class="{{tone}}"><time datetime="{{atISO}}">{{at}}</time> <strong>{{title}}</strong>{{#code}} <code>{{code}}</code>{{/code}}{{#httpStatus}} HTTP {{httpStatus}}{{/httpStatus}}{{#detail}}<br><span class="detail">{{detail}}</span>{{/detail}}</li>
        {{/timeline}}
        </ol>
        </section>
        <section aria-labelledby="payload">
        <h2 id="payload">Payload</h2>
        <pre tabindex="0">{{payload}}</pre>
        </section>
        {{#result}}<section aria-labelledby="result"><h2 id="result">Result</h2><pre tabindex="0">{{result}}</pre></section>{{/result}}
        {{#checkpoint}}<section aria-labelledby="checkpoint"><h2 id="checkpoint">Checkpoint</h2><pre tabindex="0">{{checkpoint}}</pre></section>{{/checkpoint}}
        {{#userChallenge}}<section aria-labelledby="user-challenge"><h2 id="user-challenge">Challenge for the end user</h2><p>Dfns's challenge of the job's operation: the application has the user sign it and hands it back with <code>dfns_worker.sign()</code>.</p><pre tabindex="0">{{userChallenge}}</pre></section>{{/userChallenge}}
        {{> footer}}
        """

    static let login = """
        {{> header}}
        <h1>Sign in</h1>
        <p>Sign in with your own operator token (DFNS_CONSOLE_TOKENS_FILE holds its hash and your name). The name it belongs to is recorded with every action you take.</p>
        <form class="login" method="post" action="{{base}}/login">
        <div><label for="token">Operator token</label><input id="token" name="token" type="password" autocomplete="current-password" required></div>
        <div><button type="submit">Sign in</button></div>
        </form>
        {{> footer}}
        """

    static let problem = """
        {{> header}}
        <h1>{{heading}}</h1>
        <p><a href="{{base}}/">Back to the overview</a></p>
        {{> footer}}
        """

    static let stylesheet = """
        :root { --ink: #1b1f24; --muted: #4f5b66; --line: #d0d7de; --bg: #ffffff; --soft: #f4f6f8; --accent: #0b57d0;
          --good: #116329; --bad: #a40e26; --warn: #7a4d00; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
        * { box-sizing: border-box; }
        body { margin: 0; color: var(--ink); background: var(--bg); line-height: 1.45; }
        a { color: var(--accent); }
        a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, pre:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
        .skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
        .bar { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; padding: 10px 16px; background: #14213d; color: #fff; }
        .bar a { color: #fff; } .bar nav { display: flex; gap: 16px; } .bar .brand { font-weight: 700; text-decoration: none; }
        .bar a[aria-current="page"] { text-decoration-thickness: 3px; }
        .bar form { display: inline-flex; gap: 6px; align-items: center; margin: 0; } .bar label { font-size: .9em; }
        .session { margin-left: auto; display: flex; gap: 8px; align-items: center; }
        main { padding: 8px 16px 32px; max-width: 1400px; }
        h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 1.6em; }
        input, select, button { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; background: #fff; color: var(--ink); }
        button { background: var(--soft); cursor: pointer; } button.danger { border-color: var(--bad); color: var(--bad); } button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; min-width: 100%; font-size: .95em; }
        caption { text-align: left; color: var(--muted); padding: 4px 0; }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        thead th { background: var(--soft); } td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .tiles { display: flex; flex-wrap: wrap; gap: 8px; list-style: none; padding: 0; }
        .tile { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 120px; }
        .tile .count { display: block; font-size: 1.4rem; font-weight: 700; }
        .bad, .tile.bad .count { color: var(--bad); } .warn { color: var(--warn); } .good { color: var(--good); }
        .alert { border-left: 4px solid var(--bad); background: #fff0f0; padding: 8px 12px; }
        .notice { border-left: 4px solid var(--good); background: #effaf1; padding: 8px 12px; }
        .state { display: inline-block; padding: 0 6px; border-radius: 4px; background: var(--soft); font-size: .9em; border: 1px solid var(--line); }
        .state.failed { color: var(--bad); border-color: var(--bad); } .state.succeeded { color: var(--good); border-color: var(--good); }
        .state.retrying, .state.waiting { color: var(--warn); border-color: var(--warn); }
        .filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; }
        .filters label, .login label { display: block; font-size: .9em; color: var(--muted); } .filters .wide input { width: 22em; max-width: 100%; }
        .login div { margin: 8px 0; } .login input { width: 20em; max-width: 100%; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: 0 16px; margin: 0; }
        .facts dt, .facts dd { border-bottom: 1px solid var(--line); padding: 4px 0; } dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
        .actions { list-style: none; padding: 0; } .actions li { margin: 6px 0; } .actions form { display: inline; }
        .timeline { padding-left: 1.2em; } .timeline li { margin: 6px 0; } .timeline .detail { color: var(--muted); overflow-wrap: anywhere; }
        pre { background: var(--soft); padding: 12px; overflow: auto; max-height: 28em; border-radius: 4px; }
        code { overflow-wrap: anywhere; } .pages { margin: 12px 0; display: flex; gap: 16px; }
        footer { padding: 8px 16px; color: var(--muted); font-size: .9em; }
        @media (max-width: 640px) { .bar { gap: 8px; } .session { margin-left: 0; } main { padding: 8px; } }

        """

    /// A plain mark for the browser tab (without one, browsers ask for /favicon.ico and log the 404).
    static let icon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#14213d"/><path d="M4 4h4a4 4 0 0 1 0 8H4z" fill="#fff"/></svg>

        """

    /// Live refresh: every `data-refresh` seconds, reads the page again and swaps its `<main>`, unless paused, hidden
    /// or the reader is typing. Without script the pages are complete; they are just not refreshed.
    static let script = """
        (function () {
          var seconds = Number(document.body.dataset.refresh || 0);
          if (!seconds) return;
          var paused = false;
          var button = document.getElementById('pause');
          if (button) button.addEventListener('click', function () {
            paused = !paused;
            button.setAttribute('aria-pressed', String(paused));
            button.textContent = paused ? 'Resume' : 'Pause';
          });
          setInterval(function () {
            if (paused || document.hidden) return;
            var active = document.activeElement;
            if (active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) return;
            fetch(location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
              .then(function (response) { return response.ok ? response.text() : null; })
              .then(function (html) {
                if (!html) return;
                var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('main');
                var main = document.getElementById('main');
                if (fresh && main) main.replaceWith(fresh);
              })
              .catch(function () {});
          }, seconds * 1000);
        })();

        """
}
