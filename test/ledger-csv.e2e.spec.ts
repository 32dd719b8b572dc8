import { bearer, describeE2E } from './support/app';

/**
 * The ledger CSV over HTTP is safe to open (issue 13, part 5): a commune named `=1+1` (LibreOffice
 * opened it as 2) comes out as the text '=1+1, the INSEE code 01001 keeps its leading zero, the
 * coefficient 322.2 / 315.0 is rounded to 9 decimals while the JSON keeps all 60 digits. Such a name only
 * reaches the store through COMMUNE_CHECK=synthetic or an import: the CSV must be safe whatever the source.
 */
describeE2E(
  'the ledger CSV, safe to open',
  (current) => {
    let position = '0';
    beforeAll(async () => {
      const { http, tokens } = current();
      const post = async (path: string, body: object) => {
        const response = await http.post(path).set(bearer(tokens.admin)).send(body);
        expect({ path, status: response.status, body: response.body }).toMatchObject({ status: 201 });
        position = response.body.position;
      };
      await post('/api/reference/populations', { communeInsee: '01001', population: 800, effectiveDate: '2025-01-01', source: '@source' });
      await post('/api/reference/syntec', { period: '2024-10', value: '315.0', publishedOn: '2024-11-29' });
      await post('/api/reference/syntec', { period: '2025-10', value: '322.2', publishedOn: '2025-11-28' });
      await post('/api/conventions', {
        communeInsee: '01001',
        communeName: '=1+1',
        signedOn: '2025-12-15',
        effectiveFrom: '2026-01-01',
        annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }],
      });
    }, 60_000);

    it('neutralises the name, keeps the code as text, rounds the coefficient; the JSON keeps it whole', async () => {
      const { http, tokens } = current();
      const csv = await http
        .get('/api/ledgers/2026')
        .query({ minPosition: position })
        .set(bearer(tokens.auditor))
        .set('Accept', 'text/csv')
        .expect(200);
      const [header, row] = csv.text.replace(/^\uFEFF/, '').split('\r\n');
      const cells = Object.fromEntries(header.split(';').map((name, i) => [name, row.split(';')[i]]));
      expect(cells['Commune']).toBe(`"'=1+1"`);
      expect(cells['Source de la population']).toBe(`"'@source"`);
      expect(cells['Code INSEE']).toBe('"=""01001"""');
      expect(cells['Coefficient']).toBe('1,022857143');
      const json = await http.get('/api/ledgers/2026').query({ minPosition: position }).set(bearer(tokens.auditor)).expect(200);
      expect(json.body.lines[0]).toMatchObject({ communeName: '=1+1', communeInsee: '01001' });
      expect(json.body.lines[0].coefficient).toMatch(/^1\.0228571428571428571428571428571428571428571428571428571428[0-9]$/);
    });
  },
  { COMMUNE_CHECK: 'synthetic' },
); // '=1+1' is no official name: R-COM-2 would refuse it
