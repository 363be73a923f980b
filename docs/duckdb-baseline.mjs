// The import baseline of issue 10: DuckDB turning CloudTrail NDJSON into
// zstd Parquet with typed columns only (no raw record, no normalization, no
// dedupe, no provenance), on the same machine as Causeway's import.
//
//   mkdir -p /tmp/duck && cp docs/duckdb-baseline.mjs /tmp/duck/ && cd /tmp/duck
//   npm install @duckdb/node-api     (DuckDB's own binaries come from npm; Node resolves
//                                     the import next to the script, hence the copy)
//   node duckdb-baseline.mjs FILE.ndjson [OUT.parquet]
//
// It prints the seconds, the rows and rows per second; run it under
// /usr/bin/time for CPU seconds. With RAW=1 it also keeps each record's
// line as a raw column, as Causeway does (read as one-column CSV and joined
// to the typed columns by position), and CODEC=snappy|zstd (default zstd)
// picks the codec of every column: the same rows as the baseline,
// plus the raw record that Causeway keeps for every event. The columns are given, not sampled:
// read_json_auto's sampling typed CloudTrail's requestID as a number and
// failed on the first hexadecimal one.
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
const out = process.argv[3] ?? 'duckdb-baseline.parquet';
if (!file) {
  console.error('usage: node duckdb-baseline.mjs FILE.ndjson [OUT.parquet]');
  process.exit(2);
}
const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await inst.connect();
const t0 = Date.now();
const typed = `SELECT eventTime::TIMESTAMP AS event_time, eventSource, eventName, awsRegion, sourceIPAddress, userAgent,
  userIdentity.type AS identity_type, userIdentity.arn AS arn, userIdentity.accountId AS account_id,
  userIdentity.accessKeyId AS access_key_id, errorCode, errorMessage, requestID, eventID, readOnly,
  eventType, recipientAccountId, eventCategory
  FROM read_json(${quote(file)}, format='newline_delimited', maximum_object_size=104857600, columns={
    eventTime: 'VARCHAR', eventSource: 'VARCHAR', eventName: 'VARCHAR', awsRegion: 'VARCHAR', sourceIPAddress: 'VARCHAR',
    userAgent: 'VARCHAR', userIdentity: 'STRUCT(type VARCHAR, arn VARCHAR, accountId VARCHAR, accessKeyId VARCHAR)',
    errorCode: 'VARCHAR', errorMessage: 'VARCHAR', requestID: 'VARCHAR', eventID: 'VARCHAR', readOnly: 'BOOLEAN',
    eventType: 'VARCHAR', recipientAccountId: 'VARCHAR', eventCategory: 'VARCHAR'})`;
// A line as one VARCHAR: a delimiter and no quoting that JSON lines never hold.
const raw = `SELECT raw FROM read_csv(${quote(file)}, columns={'raw': 'VARCHAR'}, header=false, delim=chr(1), quote='',
  escape='', max_line_size=104857600)`;
const codec = process.env.CODEC === 'snappy' ? 'snappy' : 'zstd';
const select = process.env.RAW === '1' ? `SELECT * FROM (${typed}) POSITIONAL JOIN (${raw})` : typed;
await con.run(`COPY (${select}) TO ${quote(out)} (FORMAT parquet, COMPRESSION ${codec})`);
const seconds = (Date.now() - t0) / 1000;
const rows = Number((await con.runAndReadAll(`SELECT count(*) FROM ${quote(out)}`)).getRows()[0][0]);
console.log(JSON.stringify({ seconds, rows, rows_per_second: Math.round(rows / seconds) }));
