// Small fixture apps written by tests (stack only: no buildpack downloads).

/** A stack-only app (Procfile buildpack): answers its token, /env/NAME, and may declare a release command. */
export function appFiles(token: string, release?: string): Record<string, string> {
  return {
    'app.py': [
      'import os',
      'from http.server import BaseHTTPRequestHandler, HTTPServer',
      'class H(BaseHTTPRequestHandler):',
      '    def do_GET(self):',
      '        if self.path.startswith("/env/"):',
      '            v = os.environ.get(self.path[5:])',
      '            body = ("<unset>" if v is None else v).encode()',
      '        else:',
      `            body = b"${token}"`,
      '        self.send_response(200)',
      '        self.send_header("Content-Length", str(len(body)))',
      '        self.end_headers()',
      '        self.wfile.write(body)',
      '    def log_message(self, *a):',
      '        pass',
      'HTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()',
      '',
    ].join('\n'),
    'Procfile': `web: python3 app.py\n${release ? `release: ${release}\n` : ''}`,
  };
}
