"""Server flavours: InfluxDB 2.7 and 3.x at the HTTP layer, in front of a real influxd 1.6.7.

:class:`ServerFlavour` is an HTTP proxy of influxkit's own. It listens on a free
loopback port, answers as InfluxDB OSS 2.7 or InfluxDB 3 Core 3.0, 3.6 or 3.9 do,
and keeps the data in, and reads it back from, the real ``influxd`` behind it.
Tests (influxkit's and its users') can then run a client against "2.x" or "3.x"
while checking what was stored directly on the 1.x server::

    from influxkit.testing import InfluxDBServer
    from influxkit.testing.flavours import FLAVOURS, ServerFlavour

    with InfluxDBServer() as server, ServerFlavour(server.url, "2.7") as flavour:
        flavour.create_database("db")          # 2.x: bucket "db" + DBRP mapping db/autogen
        ...  # a client of flavour.url, with the token flavour.token, writes and queries
        print(server.query('SELECT * FROM "cpu"', db="db"))   # what influxd stored

Like :class:`~influxkit.testing.faultproxy.FaultProxy` it runs its own event loop
in a thread of its own, works with ``with`` and ``async with``, records every
request (:attr:`ServerFlavour.requests`, :meth:`ServerFlavour.wait_for_requests`)
and uses the standard library only.

Where the data goes
-------------------

The proxy keeps the flavour's own state in memory: for 2.x one organisation, its
buckets and DBRP mappings; for 3.x the list of databases. Data goes to influxd,
which needs no authentication, by one rule for both families:

- a 2.x bucket, or a 3.x database, named ``B`` is influxd database ``B``,
  retention policy ``autogen``;
- one named ``db/rp`` is influxd database ``db``, retention policy ``rp``
  (created on influxd with an infinite duration, or the bucket's retention).

So a 2.x write with ``db=x&rp=y`` that resolves to bucket ``x/y`` (a virtual DBRP
mapping), or a 3.x write with ``db=x&rp=y`` (database ``x/y``), lands in influxd's
``x.y``; a test reads it with ``server.query(..., db="x")``. An explicit DBRP
mapping from ``(d, r)`` to a bucket of another name sends the data to that
bucket's place. Databases and retention policies are created on influxd when
needed (again if something dropped them); deleting a bucket or a 3.x database
drops its data on influxd, as the real servers do.

A batch that the flavour's server would refuse whole for one bad line is tried
first in a scratch database of the proxy's own on influxd
(``influxkit_flavour_scratch_<hex>``, emptied as it grows and dropped when the
proxy stops), and written for real only if influxd could parse all of it.

Behaviour and where it comes from
---------------------------------

Every behaviour emulated was read in the server's source: the mirror of
``github:influxdata/influxdb`` at tags ``v2.7.11``, ``v3.0.0``, ``v3.6.0`` and
``v3.9.1`` (3.9 vendors the InfluxQL and /query crates under ``core/``), and,
for the text of floats, of ``dtolnay/ryu`` and ``dtolnay/zmij`` at the versions
the tags' ``Cargo.lock`` pins (serde_json 1.0.134 and 1.0.145 with ryu 1.0.18 and
1.0.20; serde_json 1.0.149 with zmij 1.0.21). Paths are relative to the
repository; ``http.rs`` is ``influxdb3_server/src/http.rs``, ``v1.rs`` is
``influxdb3_server/src/http/v1.rs``, ``v1api/`` is ``core/iox_v1_query_api/src/``,
``validator.rs`` is ``influxdb3_write/src/write_buffer/validator.rs``. In the
flavours column, 3.x stands for 3.0, 3.6 and 3.9.

+----------------------------------------+----------+----------------------------------------------+
| behaviour                              | flavours | source file and function (ref)               |
+========================================+==========+==============================================+
| X-Influxdb-Build: OSS and              | 2.7      | http/handler.go NewRootHandler               |
| X-Influxdb-Version: v2.7.11 on every   |          | (buildHeader); the version is the git tag,   |
| answer                                 |          | GNUmakefile and scripts/ci/build.sh -X       |
|                                        |          | main.version                                 |
+----------------------------------------+----------+----------------------------------------------+
| /health: 200 {"name":"influxdb",       | 2.7      | http/health.go HealthHandler                 |
| "message", "status":"pass",            |          |                                              |
| "checks":[], "version", "commit"}, no  |          |                                              |
| auth                                   |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| /ping GET and HEAD 204 without auth;   | 2.7      | http/legacy/ping_handler.go;                 |
| other methods 405 text                 |          | influx1x_authentication_handler.go ServeHTTP |
+----------------------------------------+----------+----------------------------------------------+
| 1.x auth: u and p in the URL (both     | 2.7      | http/legacy/influx1x_authentication_handler. |
| non-empty), Token [user:]t, Basic      |          | go parseCredentials;                         |
| user:t; nothing parsed: 401            |          | v1/authorization/authorizer.go Authorize;    |
| "unauthorized access"; a wrong token:  |          | credentials.go                               |
| 401 "Unauthorized"; Bearer: 401        |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| /api/v2 auth: Token or Bearer (any     | 2.7      | http/authentication_middleware.go ServeHTTP; |
| case), else 401 "unauthorized access"; |          | http/tokens.go GetToken;                     |
| OPTIONS answered before it             |          | http/platform_handler.go (SkipOptions)       |
+----------------------------------------+----------+----------------------------------------------+
| errors {"code","message"} with         | 2.7      | kit/transport/http/error_handler.go          |
| X-Platform-Error-Code, status from the |          | HandleHTTPError, ErrorCodeToStatusCode;      |
| code; resource APIs answer             |          | kit/transport/http/api.go API.Respond,       |
| tab-indented JSON                      |          | API.Err                                      |
+----------------------------------------+----------+----------------------------------------------+
| 1.x answers gzipped when               | 2.7      | http/platform_handler.go                     |
| Accept-Encoding allows gzip and the    |          | (gziphandler.GzipHandler);                   |
| body has 1400 bytes or more; Vary:     |          | NYTimes/gziphandler v1.0.1 gzip.go           |
| Accept-Encoding                        |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| /write: POST only (405 "allow:         | 2.7      | http/legacy/write_handler.go handleWrite,    |
| OPTIONS, POST"); 400 "missing db";     |          | decodeWriteRequest, findMapping;             |
| DBRP lookup, explicit mappings then    |          | dbrp/service.go FindMany, bucketToMapping,   |
| virtual ones from bucket names (b:     |          | parseDBRP; influxdata/httprouter allowed     |
| b/autogen, b/r: b/r); none: 404 "no    |          |                                              |
| dbrp mapping found"                    |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| /write precision: us, ms and s         | 2.7      | models/points.go GetPrecisionMultiplier;     |
| honoured; n, u, µ, m, h and garbage    |          | http/legacy/write_handler.go                 |
| read as ns, silently                   |          | decodeWriteRequest                           |
+----------------------------------------+----------+----------------------------------------------+
| parse error: 400 invalid "unable to    | 2.7      | http/points/points_parser.go parsePoints;    |
| parse '...': ..."; partial write: 422  |          | write_handler.go handleWrite                 |
| "failure writing points to database:   |          |                                              |
| partial write: ..."                    |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| a batch with a line that does not      | 2.7      | http/points/points_parser.go parsePoints     |
| parse: nothing of it written (/write   |          | (ParsePointsWithPrecision, every line first);|
| and /api/v2/write)                     |          | write_handler.go handleWrite returns before  |
|                                        |          | WritePoints                                  |
+----------------------------------------+----------+----------------------------------------------+
| /write precision u, m or h: a point    | 2.7      | models/points.go ParsePointsWithPrecision,   |
| without a timestamp gets the time of   |          | parsePoint, SetPrecision (n, ns, u, us, ms,  |
| day truncated to a microsecond, minute |          | s, m, h)                                     |
| or hour (explicit ones read as ns)     |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| gzip and x-gzip bodies; a bad header   | 2.7      | http/points/batch_reader.go BatchReadCloser; |
| 500, a bad checksum 400 "unable to     |          | points_parser.go parsePoints                 |
| read data: ...", a truncated body 500  |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| /api/v2/write: precision ns, us, ms or | 2.7      | http/write_handler.go decodeWriteRequest,    |
| s, else 400; no bucket: 404 "bucket    |          | findBucket; http/requests.go                 |
| not found"; org from org or orgID,     |          | queryOrganization; tenant/service_org.go     |
| else 400 "Please provide either orgID  |          | FindOrganization; tenant/error_*.go;         |
| or org"; unknown org or bucket: 404;   |          | cmd/influxd/launcher/launcher.go             |
| no body limit, so no 413               |          | (MaxBatchSizeBytes never set)                |
+----------------------------------------+----------+----------------------------------------------+
| /query (any method): q from the URL or | 2.7      | http/legacy/influxqld_handler.go             |
| form, or the body of                   |          | handleInfluxqldQuery;                        |
| application/vnd.influxql; blank q: 200 |          | influxql/query/proxy_executor.go Query;      |
| {}; no q and no Content-Type: 400      |          | influxql/query/response.go                   |
| "mime: no media type"; parse error:    |          |                                              |
| 400 "failed to parse query: ..."; no   |          |                                              |
| pretty                                 |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| Accept matched exactly (CSV, msgpack,  | 2.7      | influxql/query_request.go                    |
| else JSON), Content-Type echoes it;    |          | EncodingFormatFromMimeType;                  |
| msgpack served; epoch u, ms, s, m, h,  |          | influxql/query/response_writer.go;           |
| anything else ns                       |          | proxy_executor.go convertToEpoch             |
+----------------------------------------+----------+----------------------------------------------+
| values as 1.x gives them (influxd's    | 2.7      | influxql/query/response_writer.go            |
| answer passed on): in JSON a whole     |          | jsonFormatter (json.Marshal),                |
| float is an integer (1, 1e+100, 1e-7), |          | msgpFormatter                                |
| in msgpack float64 and int64 differ    |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| db and rp through the DBRP mappings;   | 2.7      | v1/coordinator/statement_executor.go         |
| an unmapped db: statement error        |          | NormalizeStatement, normalizeMeasurement;    |
| "database not found: X", an unmapped   |          | v1/coordinator/shard_mapper.go mapShards     |
| rp: "retention policy not found: X"    |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| DDL, users, CQs, shards,               | 2.7      | v1/coordinator/statement_executor.go         |
| subscriptions, SHOW USERS/GRANTS/...,  |          | ExecuteStatement, executeSelectStatement,    |
| KILL QUERY and SELECT ... INTO: 200    |          | getDefaultRP                                 |
| statement error "not implemented: X";  |          |                                              |
| DELETE and DROP MEASUREMENT run        |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| SHOW DATABASES and SHOW RETENTION      | 2.7      | statement_executor.go                        |
| POLICIES answered from the mappings    |          | executeShowDatabasesStatement,               |
| (rows "0s", "168h0m0s", 1, default)    |          | executeShowRetentionPoliciesStatement        |
+----------------------------------------+----------+----------------------------------------------+
| after a failed statement, "not         | 2.7      | influxql/query/executor.go executeQuery;     |
| executed" results, and the merge that  |          | proxy_executor.go GatherResults              |
| hides the real error                   |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| /api/v2/orgs GET (org, orgID); one     | 2.7      | tenant/http_server_org.go handleGetOrgs,     |
| organisation                           |          | newOrgResponse; tenant/service_org.go        |
+----------------------------------------+----------+----------------------------------------------+
| /api/v2/buckets GET (org, orgID, name, | 2.7      | tenant/http_server_bucket.go;                |
| id; pages of 20, at most 100), POST    |          | tenant/service_bucket.go FindBuckets,        |
| 201, GET and DELETE /{id}; 422 "bucket |          | CreateBucket, validBucketName, DeleteBucket; |
| with name X already exists"; names     |          | tenant/storage_bucket.go; paging.go;         |
| starting with _ refused; retention     |          | storage/engine.go CreateBucket;              |
| under 1h: 500; system buckets          |          | v1/services/meta/client.go; bucket.go        |
| _monitoring (7d), _tasks (3d)          |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| /api/v2/dbrps GET (orgID or org, db,   | 2.7      | dbrp/http_server_dbrp.go; dbrp/service.go    |
| rp, default, id, bucketID), POST 201,  |          | Create, FindMany, Delete; dbrp_mapping.go    |
| GET and DELETE /{id}?orgID=; a         |          | Validate; dbrp/error.go;                     |
| bucket's mappings go with it           |          | dbrp/bucket_service.go                       |
+----------------------------------------+----------+----------------------------------------------+
| the token on every path, /ping and     | 3.x      | http.rs route_request, authenticate,         |
| /health too, checked before routing;   |          | authenticate_request, extract_v1_auth_token, |
| p= on /query and /write; Bearer and    |          | validate_auth_header, token_part_as_bytes    |
| Token; Basic with the token as         |          |                                              |
| password from 3.6 (3.0: 400 malformed) |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| 401 with an empty body (3.0, 3.6) or   | 3.x      | http.rs authenticate (v3.0.0, v3.6.0);       |
| {"error": "the request was not         |          | AuthenticationError::into_response (v3.9.1)  |
| authenticated"} (3.9); a malformed     |          |                                              |
| header: 400 JSON                       |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| OPTIONS: 204 CORS before auth;         | 3.6 3.9  | http.rs route_request                        |
| Access-Control-Allow-Origin: * on      |          |                                              |
| answers given as Ok; cluster-uuid on   |          |                                              |
| all (3.9)                              |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| /ping GET and POST: 200 JSON {version, | 3.x      | http.rs ping; influxdb3_types/src/http.rs    |
| revision} (3.0), with process_id and,  |          | PingResponse; influxdb3_process build.rs     |
| on /ping only, X-Influxdb-Version and  |          |                                              |
| X-Influxdb-Build: Core (3.6), with     |          |                                              |
| product_name (3.9); HEAD: 404          |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| /health and /api/v1/health GET: 200 OK | 3.x      | http.rs health                               |
+----------------------------------------+----------+----------------------------------------------+
| /write: precision s, second, ms,       | 3.x      | core iox_http write/params.rs Precision,     |
| millisecond, u, us, microsecond, n,    |          | write/v1.rs, write/single_tenant parse_v1;   |
| ns, nanosecond (default ns), else 400  |          | http.rs legacy_write_error_to_response;      |
| JSON; an rp other than autogen/default |          | influxdb3_types/src/http.rs                  |
| makes the database db/rp;              |          | From<WriteParams>; http.rs IntoResponse      |
| accept_partial=false: a bad line       |          | (ParseError); influxdb3_write validator.rs   |
| rejects the batch, 400                 |          |                                              |
| {"error":"parsing failed for write_lp  |          |                                              |
| endpoint","data":{...}}                |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| /api/v3/write_lp: db required;         | 3.x      | http.rs write_lp, write_lp_inner,            |
| precision auto (the default, guessed   |          | IntoResponse (PartialLpWrite);               |
| per line), second...; short spellings  |          | influxdb3_types/src/write.rs Precision,      |
| from 3.6; accept_partial (default      |          | guess_precision; influxdb3_write/src/lib.rs  |
| true): 400 {"error":"partial write of  |          | WriteLineError                               |
| line protocol occurred","data":[...]}; |          |                                              |
| line details reordered and cut to 20   |          |                                              |
| bytes from 3.6                         |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| write_lp accept_partial=false: as      | 3.x      | influxdb3_types/src/http.rs WriteParams      |
| /write, 400 "parsing failed for        |          | (Option<bool>); http.rs write_lp_inner,      |
| write_lp endpoint", data one object;   |          | IntoResponse (WriteBufferError::ParseError); |
| no_sync=true accepted (same answer);   |          | write_buffer/mod.rs write_lp (no_sync:       |
| either flag other than true or false:  |          | write_ops_unconfirmed)                       |
| 400 "serde error: provided string was  |          |                                              |
| not `true` or `false`"                 |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| a batch refused for a bad line (/write,| 3.x      | validator.rs v1_parse_lines_and_catalog_     |
| /api/v2/write, accept_partial=false):  |          | updates (returns at the first error);        |
| nothing written, a new database not    |          | write_buffer/mod.rs write_lp (commit after   |
| made; an empty write makes it          |          | parsing, EmptyWrite after the commit);       |
|                                        |          | influxdb3_catalog begin (CreateDatabase op)  |
+----------------------------------------+----------+----------------------------------------------+
| line_number counts points (a blank     | 3.x      | validator.rs v1_parse_lines_and_catalog_     |
| line or comment is none, a string may  |          | updates (lp.lines() beside parse_lines);     |
| hold a newline); original_line is the  |          | core/influxdb_line_protocol/src/lib.rs       |
| line_number-th of str::lines, blank    |          | parse_lines, split_lines, trim_leading       |
| ones included                          |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| original_line cut at 20 bytes inside a | 3.6 3.9  | influxdb3_write/src/lib.rs WriteLineError    |
| character: the handler panics, the     |          | Serialize (&self.original_line[..20]); no    |
| connection closes without an answer    |          | catch-panic layer in http.rs                 |
+----------------------------------------+----------+----------------------------------------------+
| a point without a timestamp: the time  | 3.x      | influxdb3_types/src/write.rs                 |
| of day, truncated to the precision     |          | Precision::to_nanos (3.6, 3.9); validator.rs |
| (3.6, 3.9; auto: not truncated), not   |          | validate_and_qualify_v1_line, ingest_time    |
| truncated (3.0)                        |          | (3.0)                                        |
+----------------------------------------+----------+----------------------------------------------+
| database names checked (400 JSON); an  | 3.x      | http.rs validate_db_name; influxdb3_write    |
| empty write: 400 "incoming write was   |          | write_buffer/mod.rs write_lp (EmptyWrite);   |
| empty"; writes make databases;         |          | influxdb3_catalog INTERNAL_DB_NAME           |
| _internal always there                 |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| bodies gzip or identity, else 400      | 3.x      | http.rs read_body, IntoResponse for Error;   |
| "unacceptable content-encoding: x";    |          | influxdb3 serve --max-http-request-size      |
| over 10 MiB: 500 "max request size     |          |                                              |
| (10485760 bytes) exceeded" (413 on     |          |                                              |
| /api/v2/write only)                    |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| /api/v2/write (bucket, precision),     | 3.x      | http.rs route_request (API_V2_WRITE),        |
| errors {"code","message"} from 3.6     |          | V2WriteApiError; iox_http parse_v2           |
+----------------------------------------+----------+----------------------------------------------+
| /api/v3/configure/database: GET        | 3.x      | http.rs show_databases, create_database,     |
| (format required, else 400 "serde      |          | delete_database,                             |
| error: missing field `format`"), POST  |          | record_batch_stream_to_body, IntoResponse    |
| {"db"}: 200, or 409 "attempted to      |          | for CatalogError; influxdb3_catalog          |
| create a resource that already         |          | create_database(_opts),                      |
| exists"; DELETE ?db=: 200, or 404 "the |          | soft_delete_database; error.rs               |
| requested resource was not found" (":  |          |                                              |
| db" in 3.9)                            |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| /query: Accept exactly CSV, JSON or    | 3.0 3.6  | v1.rs v1_query, QueryParams,                 |
| */*, else 500 "invalid mime type       |          | QueryFormat::from_request, Precision,        |
| (...)"; epoch ns, u, µ, ms, s, m, h,   |          | QueryResponseStream, ChunkBuffer, ColumnMap, |
| else 400 "serde error: ..."; one       |          | cast_column_value, convert_ns_epoch; http.rs |
| statement only (else 500); DDL: 500;   |          | query_influxql_inner                         |
| unknown db: 404 {"error":"query error: |          |                                              |
| database not found: X"}; CRLF after    |          |                                              |
| each document; series in reverse order |          |                                              |
| unless chunked; no partial;            |          |                                              |
| statement_id 0; times RFC3339 in       |          |                                              |
| groups of 3 digits; CSV without tags   |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| SHOW DATABASES and SHOW RETENTION      | 3.0 3.6  | http.rs query_influxql_inner;                |
| POLICIES on /query: the head goes out, |          | influxdb3_query_executor show_databases      |
| then the body fails (the rows have no  |          | (include_deleted), show_retention_policies;  |
| iox::measurement); unknown db: 404     |          | v1.rs ChunkBuffer::push_row                  |
+----------------------------------------+----------+----------------------------------------------+
| /query: several statements, each on    | 3.9      | v1api/handler.rs handle_parameterized_query, |
| its own, errors per statement with     |          | extract_request, plan_query; lib.rs;         |
| 200; msgpack as positional arrays;     |          | types.rs Precision; value.rs                 |
| whole floats as integers; epoch adds d |          | ValueSerializer; response/*.rs; error.rs;    |
| and w; partial; chunked statements     |          | influxdb3_internal_api query_executor.rs     |
| without rows send nothing; no newline  |          | ShowDatabases, ShowRetentionPolicies         |
| between documents; SHOW DATABASES and  |          |                                              |
| SHOW RETENTION POLICIES from the       |          |                                              |
| catalog                                |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| InfluxQL: only SELECT, EXPLAIN,        | 3.x      | core influxdb_influxql_parser statement.rs,  |
| DELETE, DROP MEASUREMENT, CREATE       |          | show.rs, create.rs, drop.rs, common.rs       |
| DATABASE and SHOW DATABASES,           |          | ParseError; iox_query_influxql_rewrite       |
| MEASUREMENTS, RETENTION POLICIES, TAG  |          | parse_statements; iox_query_influxql         |
| KEYS, TAG VALUES, FIELD KEYS parse;    |          | plan/planner.rs                              |
| CREATE DATABASE, DELETE and DROP       |          |                                              |
| MEASUREMENT are "not implemented"      |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| floats in /query JSON: serde_json      | 3.0 3.6  | v1.rs cast_column_value                      |
| Numbers, written by ryu: 1.0, 2.5,     |          | (Number::from_f64), QueryResponse to_json,   |
| 1e100, 1e16, 1e-7, 0.00001; in CSV the |          | to_csv (Value::to_string); serde_json        |
| same text                              |          | Formatter::write_f64; ryu pretty format64    |
+----------------------------------------+----------+----------------------------------------------+
| floats: whole ones under 2**63 as      | 3.9      | v1api/value.rs ValueSerializer;              |
| integers (JSON and msgpack), NaN null; |          | response/json.rs (serde_json                 |
| the rest written by zmij in JSON:      |          | CompactFormatter); zmij lib.rs write;        |
| 1e+100, 1e-7, 0.00001; in CSV Rust's   |          | response/csv.rs (Display)                    |
| Display, never an exponent             |          |                                              |
+----------------------------------------+----------+----------------------------------------------+
| no response compression                | 3.x      | http.rs (no compression layer)               |
+----------------------------------------+----------+----------------------------------------------+

What is not emulated, or only approximately
-------------------------------------------

- **A field type conflict with stored data.** 3.x ``/write``, ``/api/v2/write``
  and ``write_lp`` with ``accept_partial=false`` refuse the whole batch, but the
  proxy learns of the conflict only from influxd, which has stored the other
  lines by then (lines that do not parse, and conflicts inside the batch, are
  found in the scratch database first: such batches store nothing). A conflict
  inside a batch over a field new to influxd makes influxd refuse all of it,
  so ``write_lp`` with ``accept_partial`` (the default) answers 500 where 3.x
  stores the other lines. A conflict is reported against the batch's first
  line, as influxd does not say which line conflicted. A batch with both a line
  that does not parse and a conflict inside it gets the answer to the conflict
  (influxd reports only that).
- **Messages of line protocol and InfluxQL errors** are influxd 1.6.7's
  (``unable to parse 'x': missing fields``, ``found EOF, expected FROM at line 1,
  char 9``), inside the flavour's envelope, status and wording; 3.x parsers word
  them differently. Parse errors the proxy finds itself (statements 3.x does not
  know: ``CREATE USER``, ``SHOW SERIES``...) carry 3.x's messages and positions,
  except the details of an unknown leading keyword.
- **Timestamps.** Where a flavour reads times otherwise than influxd (2.x
  ``u``, ``m`` and ``h`` for points without a timestamp, 3.0 with a precision,
  3.x ``auto``), the proxy gives influxd every time in ns, finding a line's
  timestamp by scanning the line as influxd does; errors quote the client's
  lines. The time of day given is the proxy's clock. A 3.6 timestamp too large
  for its precision is an error there; here influxd's range error.
- **3.x query internals:** results are influxd's (1.x planner) rendered in 3.x's
  shapes; column order, ``EXPLAIN`` output, ``SHOW`` answers on edge cases and
  errors raised while a 3.x query runs differ. 3.0/3.6 group-by ``tags`` are a
  Rust ``HashMap`` (random order); here they are sorted. influxd answers null
  where a function gives NaN (``sqrt(-1)``), so 3.0/3.6's failure on a NaN
  (``Number::from_f64`` is None: the body breaks off) is not seen. ``params``
  are ignored on 3.0/3.6 and passed to influxd on 3.9.
- **2.x queries mixing statements** the proxy answers itself (DDL, ``SHOW
  DATABASES``, ``SHOW RETENTION POLICIES``...) with others run statement by
  statement, so a syntax error in a later statement is found only when it is
  reached (2.x refuses the whole query first), with positions counted from the
  statement. Queries of forwarded statements only go to influxd whole.
- **Qualified names in InfluxQL** (``FROM "db"."rp"."m"``) reach influxd as
  written: the ``db``/``rp`` *parameters* are mapped through the DBRP mappings,
  names inside the query are not (harmless under the mapping rule above).
- **3.x databases:** a retention period given when a database is made is reported
  (``SHOW RETENTION POLICIES`` on 3.9) but not enforced; a deleted database is
  dropped on influxd and forgotten (``show_deleted`` lists none); ``no_sync``
  changes nothing the proxy can show.
- **Not served:** the 2.x UI and ``/ready``, ``/api/v2/setup``, users,
  authorisations, tasks, ``PATCH`` of buckets and DBRPs, multipart query forms;
  3.x SQL, ``/api/v3/query_sql``, ``/api/v3/query_influxql``, tables, tokens,
  ``PUT /api/v3/configure/database``, caches, the processing engine. They
  answer 404 (or 405), as unknown paths do.
- **Timing and streaming:** answers are built whole, then sent with a
  ``Content-Length``; nothing is streamed chunk by chunk.
- When influxd cannot be reached the proxy answers ``502`` with
  ``{"error": "..."}``, which neither server would.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime
import email.utils
import gzip
import http
import json
import math
import re
import secrets
import ssl
import struct
import time
import urllib.parse
import uuid
import weakref
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal, NamedTuple

from influxkit.testing import InfluxDBServerError
from influxkit.testing._loopserver import HEAD_LIMIT, Head, LoopServer, read_body, reset_connection

__all__ = ["DEFAULT_ORG", "DEFAULT_TOKEN", "FLAVOURS", "FlavourRequest", "ServerFlavour"]

FLAVOURS: Final = ("2.7", "3.0", "3.6", "3.9")
"""The flavours a :class:`ServerFlavour` can be."""

DEFAULT_TOKEN: Final = "influxkit-flavour-token"
"""The API token a flavour accepts unless told otherwise."""

DEFAULT_ORG: Final = "influxkit"
"""The name of a 2.x flavour's organisation unless told otherwise."""


@dataclass(frozen=True)
class _Profile:
    """What a flavour reports about itself, from its release tag."""

    name: str
    version: str
    product: Literal["2.x", "3.x"]
    commit: str  # git rev-parse --short of the tag's commit


_PROFILES: Final[Mapping[str, _Profile]] = {
    "2.7": _Profile("2.7", "v2.7.11", "2.x", "fbf5d4ab5e"),
    "3.0": _Profile("3.0", "3.0.0", "3.x", "3b602eead2"),
    "3.6": _Profile("3.6", "3.6.0", "3.x", "7e07b134f4"),
    "3.9": _Profile("3.9", "3.9.1", "3.x", "9e6a635944"),
}


@dataclass
class FlavourRequest:
    """A request the flavour received, and the status it answered.

    :ivar method: the HTTP method.
    :ivar path: the path, without the query string.
    :ivar params: the query string's parameters (the first value of a repeated one).
    :ivar headers: the request's header fields, names in lower case (the last of a
        repeated one).
    :ivar time: when the request had been read, in :func:`time.monotonic` seconds.
    :ivar status: the status answered; None until then, or if the connection broke.
    """

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    time: float
    status: int | None = None


@dataclass
class _Request:
    method: str
    path: str
    query: str
    pairs: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first field *name*, as Go's Header.Get and hyper's get do."""
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)

    def arg(self, name: str) -> str:
        """The first value of URL parameter *name*, or "" (Go's Query().Get)."""
        return next((value for key, value in self.pairs if key == name), "")

    def has_arg(self, name: str) -> bool:
        return any(key == name for key, _ in self.pairs)


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    # Send the head, then break the connection: a server whose body stream failed.
    abort: bool = False
    # Close the connection without an answer: a server whose handler panicked.
    drop: bool = False


def _reply(status: int, body: bytes | str = b"", content_type: str | None = None,
           headers: Iterable[tuple[str, str]] = ()) -> _Reply:
    data = body.encode() if isinstance(body, str) else body
    fields = list(headers)
    if content_type is not None:
        fields.append(("Content-Type", content_type))
    return _Reply(status, data, fields)


class ServerFlavour(LoopServer[FlavourRequest]):
    """InfluxDB 2.7 or 3.x at the HTTP layer, in front of the influxd at *target_url*.

    It is a context manager, with ``with`` and ``async with``: :meth:`start` on
    entry, :meth:`stop` on exit. The flavour's state (buckets, mappings,
    databases) and the recorded requests are kept for a later :meth:`start`.

    :param target_url: the influxd's base URL, such as ``server.url`` (no auth).
    :param name: the flavour, one of :data:`FLAVOURS`: ``"2.7"``, ``"3.0"``,
        ``"3.6"`` or ``"3.9"``.
    :param token: the API token; every authenticated request must carry it.
    :param org: 2.x only: the name of the one organisation.
    :param port: the loopback port to listen on; by default a free one.
    :param ssl_context: the context to verify an ``https`` influxd with.
    :raises ValueError: for an unknown *name*, or a *target_url* that is not
        ``http`` or ``https``.

    Example::

        with InfluxDBServer() as server, ServerFlavour(server.url, "3.9") as flavour:
            flavour.create_database("db")
            ...  # POST flavour.url + "/api/v3/write_lp?db=db" with
                 # "Authorization: Bearer " + flavour.token
            assert server.query('SELECT count(*) FROM "cpu"', db="db")["results"]
    """

    def __init__(
        self,
        target_url: str,
        name: str,
        *,
        token: str = DEFAULT_TOKEN,
        org: str = DEFAULT_ORG,
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if name not in _PROFILES:
            raise ValueError(f"unknown flavour {name!r}; one of {', '.join(FLAVOURS)}")
        if not token:
            raise ValueError("token must not be empty")
        self._profile = _PROFILES[name]
        self._upstream = _Upstream(target_url, ssl_context)
        self._token = token
        self._engine: _V2Server | _V3Server
        if self._profile.product == "2.x":
            self._engine = _V2Server(self._profile, token, org, self._upstream)
        else:
            self._engine = _V3Server(self._profile, token, self._upstream)
        super().__init__(port, thread_name=f"ServerFlavour {name}",
                         description="the server flavour")

    # -- properties -------------------------------------------------------------

    @property
    def name(self) -> str:
        """The flavour: ``"2.7"``, ``"3.0"``, ``"3.6"`` or ``"3.9"``."""
        return self._profile.name

    @property
    def version(self) -> str:
        """The version the server reports: ``"v2.7.11"``, ``"3.0.0"``, ``"3.6.0"``, ``"3.9.1"``."""
        return self._profile.version

    @property
    def product(self) -> Literal["2.x", "3.x"]:
        """``"2.x"`` or ``"3.x"``."""
        return self._profile.product

    @property
    def token(self) -> str:
        """The API token every authenticated request must carry."""
        return self._token

    @property
    def org(self) -> str:
        """2.x: the organisation's name.

        :raises InfluxDBServerError: for a 3.x flavour, which has no organisations.
        """
        return self._v2("org").org_name

    @property
    def org_id(self) -> str:
        """2.x: the organisation's ID (16 hex digits).

        :raises InfluxDBServerError: for a 3.x flavour.
        """
        return self._v2("org_id").org_id

    @property
    def target_url(self) -> str:
        """The influxd's URL, which holds the data."""
        return self._upstream.url

    # -- set-up -----------------------------------------------------------------

    def create_database(self, name: str) -> None:
        """Make database *name* usable through the flavour, as a test's set-up.

        2.x: a bucket *name* (if there is none) and a DBRP mapping from *name*
        (``db`` and ``rp`` for ``"db/rp"``, else *name* and ``autogen``) to it,
        the default for the database. 3.x: a database *name* (if there is none).
        Either way the database (and retention policy) exists on influxd.

        :raises InfluxDBServerError: if the flavour is not running, or influxd
            refused.
        """
        loop = self._loop
        if loop is None or self._thread is None:
            raise InfluxDBServerError("the server flavour is not running")
        future = asyncio.run_coroutine_threadsafe(self._engine.create_database(name), loop)
        try:
            future.result(timeout=60)
        except _UpstreamError as exc:
            raise InfluxDBServerError(f"create_database({name!r}): {exc}") from exc

    def _v2(self, what: str) -> _V2Server:
        if not isinstance(self._engine, _V2Server):
            raise InfluxDBServerError(f"{what}: a {self.name} server has no organisations")
        return self._engine

    # -- life cycle -------------------------------------------------------------

    async def _closed(self) -> None:
        # Leave nothing of the proxy's own on influxd (the data stays).
        with contextlib.suppress(_UpstreamError, asyncio.TimeoutError):
            await asyncio.wait_for(self._upstream.drop_scratch(), 10)

    def __repr__(self) -> str:
        where = "stopped" if self._port is None else self.url
        return f"<ServerFlavour {self.name} {where} to {self._upstream.url}>"

    # -- one client connection --------------------------------------------------

    async def _refuse(self, writer: asyncio.StreamWriter, method: str, message: str) -> None:
        await _send(writer, method, _reply(400, message), keep_alive=False)

    async def _handle(self, head: Head, body: bytes, keep_alive: bool,
                      reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        method, target, _ = head.start
        url = urllib.parse.urlsplit(target)
        pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        request = _Request(method, url.path or "/", url.query, pairs, head.headers, body)
        params: dict[str, str] = {}
        for key, value in pairs:
            params.setdefault(key, value)
        record = FlavourRequest(method, request.path, params,
                                {key.lower(): value for key, value in head.headers},
                                time.monotonic())
        self._record(record)
        try:
            reply = await self._engine.handle(request)
        except _UpstreamError as exc:
            message = f"server flavour: influxd at {self._upstream.url} failed ({exc})"
            reply = _reply(502, json.dumps({"error": message}) + "\n", "application/json")
        if reply.drop:
            writer.close()
            return False
        record.status = reply.status
        if reader.at_eof():
            return False
        return await _send(writer, method, reply, keep_alive=keep_alive)


async def _send(writer: asyncio.StreamWriter, method: str, reply: _Reply, *,
                keep_alive: bool) -> bool:
    """Send an answer; return whether the connection can carry another."""
    try:
        reason = http.HTTPStatus(reply.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {reply.status} {reason}"]
    lines += [f"{name}: {value}" for name, value in reply.headers]
    lines.append("Date: " + email.utils.formatdate(usegmt=True))
    body = reply.body
    if reply.abort:
        lines.append("Transfer-Encoding: chunked")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        reset_connection(writer)
        return False
    if reply.status in (204, 304) or reply.status < 200:
        body = b""
    else:
        lines.append(f"Content-Length: {len(body)}")
    if method == "HEAD":
        body = b""
    if not keep_alive:
        lines.append("Connection: close")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()
    return keep_alive



# -- influxd, behind ------------------------------------------------------------------


class _UpstreamError(Exception):
    """influxd could not be reached, or answered something unusable."""


class _Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes

    def error(self) -> str:
        """The ``error`` of a 1.x JSON error body, or the body as text."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return self.body.decode("utf-8", "replace").strip()
        if isinstance(value, dict) and isinstance(value.get("error"), str):
            return str(value["error"])
        return self.body.decode("utf-8", "replace").strip()


class _Upstream:
    """A minimal HTTP/1.1 client of influxd: one connection per request."""

    def __init__(self, url: str, ssl_context: ssl.SSLContext | None) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL of a server: {url!r}")
        netloc = parts.netloc.rpartition("@")[2]
        self.url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._netloc = netloc
        self._base = parts.path.rstrip("/")
        self._ssl: ssl.SSLContext | None = None
        if parts.scheme == "https":
            self._ssl = ssl_context or ssl.create_default_context()
        # (db, rp) known to exist on influxd; a write that finds them gone makes them again.
        self._ready: set[tuple[str, str]] = set()
        # Where batches are tried before they are written (validate): a database of its own.
        self._scratch = "influxkit_flavour_scratch_" + secrets.token_hex(6)
        self._scratch_bytes = 0
        # One batch at a time in it (a lock of the running loop: the proxy can restart).
        self._scratch_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop,
                                                       asyncio.Lock] = \
            weakref.WeakKeyDictionary()

    async def request(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]] = (),
        body: bytes = b"",
        headers: Sequence[tuple[str, str]] = (),
    ) -> _Answer:
        target = self._base + path
        if params:
            target += "?" + urllib.parse.urlencode(params)
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self._netloc}", "Connection: close",
                 f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers)]
        try:
            reader, writer = await asyncio.open_connection(
                self._host, self._port, ssl=self._ssl,
                server_hostname=self._host if self._ssl else None, limit=HEAD_LIMIT)
        except OSError as exc:
            raise _UpstreamError(f"cannot connect: {exc}") from exc
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            head = Head.parse(await reader.readuntil(b"\r\n\r\n"), request=False)
            status = int(head.start[1])
            if method == "HEAD" or status in (204, 304):
                data = b""
            elif "chunked" in head.tokens("transfer-encoding"):
                data = await read_body(reader, head)
            elif head.header("content-length") is not None:
                data = await reader.readexactly(int(head.header("content-length") or 0))
            else:
                data = await reader.read()
        except (OSError, ValueError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError) as exc:
            raise _UpstreamError(f"no answer: {exc!r}") from exc
        finally:
            writer.transport.abort()
        return _Answer(status, {k.lower(): v for k, v in head.headers}, data)

    async def statements(self, q: str, db: str | None = None) -> dict[str, Any]:
        """Run administrative InfluxQL; raise _UpstreamError if a statement failed."""
        form = [("q", q)] + ([("db", db)] if db else [])
        answer = await self.request(
            "POST", "/query", body=urllib.parse.urlencode(form).encode(),
            headers=[("Content-Type", "application/x-www-form-urlencoded")])
        if answer.status != 200:
            raise _UpstreamError(f"{q!r}: HTTP {answer.status}: {answer.error()}")
        result: dict[str, Any] = json.loads(answer.body)
        for item in result.get("results", []):
            if "error" in item:
                raise _UpstreamError(f"{q!r}: {item['error']}")
        return result

    async def ensure(self, db: str, rp: str, seconds: int = 0, *, force: bool = False) -> None:
        """Make influxd database *db* and retention policy *rp* exist."""
        if (db, rp) in self._ready and not force:
            return
        await self.statements(f"CREATE DATABASE {_ident(db)}")
        if rp == "autogen" and not seconds:
            # A database that outlived its autogen (dropped with a bucket) gets it back.
            shown = await self.statements(f"SHOW RETENTION POLICIES ON {_ident(db)}")
            rows = (shown["results"][0].get("series") or [{}])[0].get("values") or []
            if not any(row[0] == "autogen" for row in rows):
                await self.statements(f"CREATE RETENTION POLICY autogen ON {_ident(db)} "
                                      "DURATION INF REPLICATION 1 DEFAULT")
        else:
            duration = f"{seconds}s" if seconds else "INF"
            shard = f" SHARD DURATION {_shard_seconds(seconds)}s" if seconds else ""
            default = " DEFAULT" if rp == "autogen" else ""
            try:
                await self.statements(f"CREATE RETENTION POLICY {_ident(rp)} ON {_ident(db)} "
                                      f"DURATION {duration} REPLICATION 1{shard}{default}")
            except _UpstreamError as exc:
                if "already exists" not in str(exc):
                    raise
                await self.statements(f"ALTER RETENTION POLICY {_ident(rp)} ON {_ident(db)} "
                                      f"DURATION {duration}{shard}")
        self._ready.add((db, rp))

    async def drop(self, db: str, rp: str, *, whole_database: bool) -> None:
        """Drop a bucket's or database's data: the whole influxd database, or one rp."""
        self._ready = {key for key in self._ready if key[0] != db}
        if whole_database:
            await self.statements(f"DROP DATABASE {_ident(db)}")
        else:
            with contextlib.suppress(_UpstreamError):  # already gone
                await self.statements(f"DROP RETENTION POLICY {_ident(rp)} ON {_ident(db)}")

    async def write(self, body: bytes, db: str, rp: str, precision: str) -> _Answer:
        """Write line protocol (never compressed) into *db*/*rp*, making them if needed."""
        await self.ensure(db, rp)
        params = [("db", db), ("rp", rp), ("precision", precision)]
        answer = await self.request("POST", "/write", params, body)
        gone = (answer.status == 404 and "database not found" in answer.error()) or (
            answer.status == 500 and "retention policy not found" in answer.error())
        if gone:
            await self.ensure(db, rp, force=True)
            answer = await self.request("POST", "/write", params, body)
        return answer

    async def validate(self, body: bytes, precision: str) -> _Answer:
        """influxd's answer to *body*, written into the scratch database, not where it goes.

        A server that refuses a whole batch for one bad line (2.x; 3.x without
        accept_partial) writes nothing, while influxd writes the good lines of it: the
        proxy writes a batch for real only once influxd found no line it could not parse.
        A field type conflict with what earlier batches left in the scratch database is
        no verdict on this one: the scratch database is emptied and the batch tried again
        (a conflict inside the batch stands). It is also emptied when it has grown.
        """
        lock = self._scratch_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            if self._scratch_bytes > _SCRATCH_LIMIT:
                await self.drop_scratch()
            fresh = self._scratch_bytes == 0
            answer = await self.write(body, self._scratch, "autogen", precision)
            self._scratch_bytes += len(body) + 1
            if not fresh and _split_influxd_write_error(answer)[0] == "partial":
                await self.drop_scratch()
                answer = await self.write(body, self._scratch, "autogen", precision)
                self._scratch_bytes += len(body) + 1
            return answer

    async def drop_scratch(self) -> None:
        """Drop the scratch database (if there is one); it is made again when needed."""
        if self._scratch_bytes or (self._scratch, "autogen") in self._ready:
            await self.drop(self._scratch, "autogen", whole_database=True)
        self._scratch_bytes = 0

    async def query(self, q: str, *, db: str = "", rp: str = "", epoch: str = "",
                    chunked: bool = False, chunk_size: str = "", params: str = "",
                    accept: str = "application/json") -> _Answer:
        form = [("q", q)]
        for key, value in (("db", db), ("rp", rp), ("epoch", epoch), ("params", params),
                           ("chunk_size", chunk_size)):
            if value:
                form.append((key, value))
        if chunked:
            form.append(("chunked", "true"))
        return await self.request(
            "POST", "/query", body=urllib.parse.urlencode(form).encode(),
            headers=[("Content-Type", "application/x-www-form-urlencoded"), ("Accept", accept)])


_SCRATCH_LIMIT: Final = 16 * 1024 * 1024  # bytes written into it before it is emptied


def _ident(name: str) -> str:
    """An InfluxQL identifier, quoted."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _shard_seconds(retention: int) -> int:
    """influxd's default shard group duration for a retention period (meta/data.go)."""
    if retention < 2 * 86400:
        return 3600
    if retention < 180 * 86400:
        return 86400
    return 7 * 86400


def _location(name: str) -> tuple[str, str]:
    """The influxd database and retention policy of a bucket or 3.x database *name*."""
    db, sep, rp = name.partition("/")
    return (db, rp) if sep else (name, "autogen")


# -- line protocol, as it passes through ------------------------------------------------


class _Decoded(NamedTuple):
    body: bytes
    error: str | None = None  # "header", "checksum", "truncated"


def _gunzip(body: bytes) -> _Decoded:
    try:
        return _Decoded(gzip.decompress(body))
    except EOFError:
        return _Decoded(b"", "truncated")
    except (OSError, zlib.error) as exc:
        if "CRC" in str(exc) or "length" in str(exc):
            return _Decoded(b"", "checksum")
        return _Decoded(b"", "header")


def _split_lines(body: bytes) -> list[bytes]:
    """Lines as the servers cut a body (influxdb_line_protocol split_lines, a port of Go's
    scanLine): at each newline outside a quoted field value, a backslash escaping the byte
    after it. Joined with newlines again, they are *body*."""
    if b'"' not in body and b"\\" not in body:
        return body.split(b"\n")
    lines: list[bytes] = []
    pending: list[bytes] = []  # pieces of a line whose newlines were quoted or escaped
    quoted = fields = escaped = False
    equals = commas = 0
    for piece in body.split(b"\n"):
        if not pending and b'"' not in piece and b"\\" not in piece:
            lines.append(piece)  # nothing in it can keep the newline after it
            continue
        for byte in piece:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # \
                escaped = True
            elif byte == 0x20:
                fields = True
            elif fields and not quoted and byte == 0x3D:  # =
                equals += 1
            elif fields and not quoted and byte == 0x2C:  # ,
                commas += 1
            elif fields and byte == 0x22 and equals > commas:  # " of a string value
                quoted = not quoted
        pending.append(piece)
        if escaped or quoted:
            escaped = False  # the newline itself was consumed
            continue
        lines.append(b"\n".join(pending))
        pending = []
        fields = False
        equals = commas = 0
    if pending:
        lines.append(b"\n".join(pending))
    return lines


def _is_point(line: bytes) -> bool:
    """influxdb_line_protocol parse_lines with trim_leading: blanks and comments are none."""
    text = line
    while True:
        text = text.lstrip(b" \t\n")
        if not text.startswith(b"#"):
            return bool(text)
        _, newline, text = text.partition(b"\n")
        if not newline:
            return False


class _Line(NamedTuple):
    """A line of a write's body that is a point."""

    number: int  # among the points, from 1: 3.x's line_number
    raw: bytes  # as cut by _split_lines

    def quoted(self) -> str:
        """The line as influxd quotes it in ``unable to parse '...'``."""
        return _quoted(self.raw)


def _quoted(raw: bytes) -> str:
    # models.ParsePointsWithPrecision: block[start:], after skipWhitespace.
    return raw.lstrip(b" \t\x00").decode("utf-8", "replace")


def _points(body: bytes) -> list[_Line]:
    """The lines of *body* that are points, numbered as 3.x numbers them."""
    found: list[_Line] = []
    for raw in _split_lines(body):
        if _is_point(raw):
            found.append(_Line(len(found) + 1, raw))
    return found


def _rust_lines(body: bytes) -> list[str]:
    """Rust's str::lines: cut at every newline, a CR before it dropped, no last empty line.

    3.x takes a bad line's ``original_line`` from these, by its line_number among the
    points (influxdb3_write validator.rs v1_parse_lines_and_catalog_updates), so after a
    blank line, a comment or a newline inside a string it names another line.
    """
    pieces = body.decode("utf-8", "replace").split("\n")
    if pieces[-1] == "":
        pieces.pop()
    return [piece.removesuffix("\r") for piece in pieces]


def _point_parts(raw: bytes) -> tuple[int, int, int] | None:
    """Where a point's fields end, and its timestamp starts and ends (an empty span if it
    has none), as models/points.go parsePoint scans them; None for a line with no fields
    or with more after its timestamp, which is left to influxd."""
    n = len(raw)
    i = n - len(raw.lstrip(b" \t"))
    if b'"' not in raw and b"\\" not in raw:
        i = raw.find(b" ", i)
        if i < 0:
            return None
        while i < n and raw[i] == 0x20:
            i += 1
        end = raw.find(b" ", i)
        end = n if end < 0 else end
        if b"=" not in raw[i:end]:
            return None
    else:
        while i < n and raw[i] != 0x20:  # the series key, up to an unescaped space
            i += 2 if raw[i] == 0x5C else 1
        while i < n and raw[i] == 0x20:
            i += 1
        quoted = False
        equals = commas = 0
        while i < n:  # the fields, up to a space outside a string value
            byte = raw[i]
            if byte == 0x5C:
                i += 2
                continue
            if not quoted and byte == 0x20:
                break
            if not quoted and byte == 0x3D:
                equals += 1
            elif not quoted and byte == 0x2C:
                commas += 1
            elif byte == 0x22 and equals > commas:
                quoted = not quoted
            i += 1
        if quoted or not equals:
            return None
        end = min(i, n)
    start = end
    while start < n and raw[start] == 0x20:
        start += 1
    stop = start
    while stop < n and raw[stop] not in b" \t\r":
        stop += 1
    if raw[stop:].strip(b" \t\r"):
        return None
    return end, start, stop


_TIMESTAMP: Final = re.compile(rb"-?[0-9]+")


class _Retimed(NamedTuple):
    """A body with timestamps rewritten, and how to put the client's lines back."""

    body: bytes
    originals: dict[str, str]  # a rewritten line, as influxd quotes it -> the client's

    def restore(self, message: str) -> str:
        """An influxd error message, with the client's lines where it quotes rewritten ones."""
        for new, old in self.originals.items():
            message = message.replace(f"'{new}'", f"'{old}'")
        return message


def _retime(body: bytes, *, explicit: Callable[[int], int] | None = None,
            default: int | None = None) -> _Retimed:
    """*body* with each explicit timestamp changed by *explicit*, and *default* added to
    each point without one. Lines that are no points, or that influxd would not read,
    are left as they are."""
    if explicit is None and default is None:
        return _Retimed(body, {})
    out: list[bytes] = []
    originals: dict[str, str] = {}
    for raw in _split_lines(body):
        parts = _point_parts(raw) if _is_point(raw) and not raw.lstrip().startswith(b"#") \
            else None
        line = raw
        if parts is not None:
            end, start, stop = parts
            stamp = raw[start:stop]
            if not stamp and default is not None:
                line = raw[:end] + b" %d" % default + raw[end:]
            elif stamp and explicit is not None and _TIMESTAMP.fullmatch(stamp):
                line = raw[:start] + b"%d" % explicit(int(stamp)) + raw[stop:]
        if line != raw:
            originals[_quoted(line)] = _quoted(raw)
        out.append(line)
    return _Retimed(b"\n".join(out), originals)


def _guess_to_ns(value: int) -> int:
    """3.x ``precision=auto``: a timestamp read in the unit its size suggests, in ns
    (influxdb3_types/src/write.rs guess_precision)."""
    magnitude = abs(value) // 1_000_000_000
    if magnitude < 5:
        return value * 1_000_000_000
    if magnitude < 5_000:
        return value * 1_000_000
    if magnitude < 5_000_000:
        return value * 1_000
    return value


_PARSE_ERROR: Final = re.compile(r"unable to parse '(.*?)': ([^\n]*?)(?=\nunable to parse '|$)",
                                 re.S)


def _parse_errors(message: str) -> list[tuple[str, str]]:
    """The (line, reason) pairs of an influxd parse error message."""
    if message.startswith("partial write: "):
        message = message[len("partial write: "):]
    message = re.sub(r" dropped=\d+$", "", message)
    return _PARSE_ERROR.findall(message)


def _split_influxd_write_error(answer: _Answer) -> tuple[str, str]:
    """Classify influxd's answer to a write: ("ok"|"parse"|"partial"|"other", message)."""
    if answer.status in (200, 204):
        return "ok", ""
    message = answer.error()
    if answer.status == 400 and message.startswith("unable to parse"):
        return "parse", message
    if answer.status == 400 and message.startswith("partial write: unable to parse"):
        return "parse", re.sub(r" dropped=\d+$", "", message[len("partial write: "):])
    if answer.status == 400 and message.startswith("partial write:"):
        return "partial", message
    return "other", message


# -- 2.x ------------------------------------------------------------------------------

_V2_STATUS: Final[Mapping[str, int]] = {
    "internal error": 500, "not implemented": 501, "invalid": 400,
    "unprocessable entity": 422, "empty value": 400, "conflict": 422, "not found": 404,
    "unavailable": 503, "forbidden": 403, "too many requests": 429, "unauthorized": 401,
    "method not allowed": 405, "request too large": 413,
}
_GENERIC_INTERNAL: Final = "An internal error has occurred - check server logs"
_JSON_UTF8: Final = "application/json; charset=utf-8"
_GZIP_MIN_SIZE: Final = 1400
_PAGE_SIZE: Final = 20
_MAX_PAGE_SIZE: Final = 100


class _V2Error(Exception):
    """A platform error: an ``errors.Error`` with its code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _v2_error(code: str, message: str, *, pretty: bool = False) -> _Reply:
    """kithttp HandleHTTPError (compact) or API.Err (tab-indented) for *code*."""
    body = _go_json({"code": code, "message": message}, indent="\t" if pretty else None)
    return _Reply(_V2_STATUS.get(code, 500), body,
                  [("X-Platform-Error-Code", code), ("Content-Type", _JSON_UTF8)])


def _v2_respond(status: int, value: Any) -> _Reply:
    """kithttp API.Respond: tab-indented JSON."""
    if status == 204:
        return _Reply(204)
    return _Reply(status, _go_json(value, indent="\t"), [("Content-Type", _JSON_UTF8)])


def _parse_id(text: str, *, context: str = "") -> str:
    """platform.ID DecodeFromString: 16 hex digits, not all zero.

    Where the handler wraps the error, *context* is its wording: the message is
    then ``context: why``.
    """
    if len(text) != 16:
        why = "id must have a length of 16 bytes"
    elif not re.fullmatch(r"[0-9a-fA-F]{16}", text) or int(text, 16) == 0:
        why = "invalid ID"
    else:
        return text.lower()
    raise _V2Error("invalid", f"{context}: {why}" if context else why)


def _json_object(body: bytes, go_type: str, context: str) -> dict[str, Any]:
    """encoding/json's Decode of a request body into the Go struct *go_type*; the
    error worded ``context: why``, as the handler wraps it."""
    try:
        value = json.loads(body)
        if not isinstance(value, dict):
            raise ValueError(f"json: cannot unmarshal into Go value of type {go_type}")
    except ValueError as exc:
        raise _V2Error("invalid", f"{context}: {exc}") from exc
    return value


def _new_id(taken: Iterable[str] = ()) -> str:
    used = set(taken)
    while True:
        value = secrets.token_hex(8)
        if int(value, 16) and value not in used:
            return value


def _go_time(moment: datetime.datetime) -> str:
    """Go's time.Time JSON (RFC3339Nano, trailing zeros dropped), in UTC."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


@dataclass
class _Bucket:
    id: str
    org_id: str
    name: str
    system: bool
    description: str
    retention: int  # seconds, 0 = infinite
    shard_group: int
    created: datetime.datetime
    updated: datetime.datetime

    def to_json(self) -> dict[str, Any]:
        """tenant/http_server_bucket.go NewBucketResponse."""
        value: dict[str, Any] = {"id": self.id, "orgID": self.org_id,
                                 "type": "system" if self.system else "user"}
        if self.description:
            value["description"] = self.description
        value["name"] = self.name
        rules = []
        if self.retention or self.shard_group:
            rules.append({"type": "expire", "everySeconds": self.retention,
                          "shardGroupDurationSeconds": self.shard_group})
        value["retentionRules"] = rules
        value["createdAt"] = _go_time(self.created)
        value["updatedAt"] = _go_time(self.updated)
        value["links"] = {
            "labels": f"/api/v2/buckets/{self.id}/labels",
            "members": f"/api/v2/buckets/{self.id}/members",
            "org": f"/api/v2/orgs/{self.org_id}",
            "owners": f"/api/v2/buckets/{self.id}/owners",
            "self": f"/api/v2/buckets/{self.id}",
            "write": f"/api/v2/write?org={self.org_id}&bucket={self.id}",
        }
        value["labels"] = []
        return value


@dataclass
class _Dbrp:
    id: str
    database: str
    retention_policy: str
    default: bool
    virtual: bool
    org_id: str
    bucket_id: str

    def to_json(self) -> dict[str, Any]:
        """influxdb.DBRPMapping's JSON."""
        return {"id": self.id, "database": self.database,
                "retention_policy": self.retention_policy, "default": self.default,
                "virtual": self.virtual, "orgID": self.org_id, "bucketID": self.bucket_id}


def _valid_dbrp_name(name: str) -> bool:
    """dbrp_mapping.go validName."""
    return (name not in ("", ".", "..") and not any(c in name for c in "/\\")
            and all(c.isprintable() for c in name))


class _V2Server:
    """InfluxDB OSS 2.7: its state and its answers."""

    def __init__(self, profile: _Profile, token: str, org: str, upstream: _Upstream) -> None:
        self._profile = profile
        self._token = token
        self._upstream = upstream
        self.org_name = org
        self.org_id = _new_id()
        self._org_created = _now()
        self._buckets: dict[str, _Bucket] = {}
        self._dbrps: dict[str, _Dbrp] = {}  # physical mappings, by ID (IDs increase)
        self._defaults: dict[str, str] = {}  # database -> default physical mapping's ID
        self._last_dbrp = int(time.time() * 1000) << 22
        # tenant.OnboardInitialUser makes the organisation's system buckets.
        for name, days in (("_monitoring", 7), ("_tasks", 3)):
            self._add_bucket(name, system=True, retention=days * 86400)

    # -- state --------------------------------------------------------------------------

    def _add_bucket(self, name: str, *, system: bool = False, description: str = "",
                    retention: int = 0, shard_group: int = 0) -> _Bucket:
        now = _now()
        bucket = _Bucket(_new_id(self._buckets), self.org_id, name, system, description,
                         retention, shard_group, now, now)
        self._buckets[bucket.id] = bucket
        return bucket

    def _bucket_named(self, name: str) -> _Bucket | None:
        return next((b for b in self._buckets.values() if b.name == name), None)

    def _org_buckets(self) -> list[_Bucket]:
        """tenant listBucketsByOrg: in the order of the (org, name) index."""
        return sorted(self._buckets.values(), key=lambda b: b.name.encode())

    def _next_dbrp_id(self) -> str:
        # Snowflake IDs grow with time: the kv index keeps mappings in that order.
        self._last_dbrp = max(self._last_dbrp + 1, int(time.time() * 1000) << 22)
        return f"{self._last_dbrp:016x}"

    def find_dbrps(self, *, db: str | None = None, rp: str | None = None,
                   default: bool | None = None, bucket_id: str | None = None,
                   dbrp_id: str | None = None, virtual: bool | None = None) -> list[_Dbrp]:
        """dbrp/service.go FindMany, for the one organisation."""

        def matches(m: _Dbrp) -> bool:
            return ((dbrp_id is None or m.id == dbrp_id)
                    and (bucket_id is None or m.bucket_id == bucket_id)
                    and (db is None or m.database == db)
                    and (rp is None or m.retention_policy == rp)
                    and (default is None or m.default == default)
                    and (virtual is None or m.virtual == virtual))

        found: list[_Dbrp] = []
        for m in sorted(self._dbrps.values(), key=lambda m: m.id):
            m.default = self._defaults.get(m.database) == m.id
            if matches(m):
                found.append(m)
        if bucket_id is not None:
            bucket = self._buckets.get(bucket_id)
            buckets = [bucket] if bucket is not None else []
        else:
            buckets = self._org_buckets()
        for bucket in buckets:
            mapping = _virtual_dbrp(bucket)
            skip = False
            for m in found:
                if m.database == mapping.database:
                    if m.retention_policy == mapping.retention_policy:
                        skip = True
                        break
                    if m.default and mapping.default:
                        mapping.default = False
                        break
            if not skip and matches(mapping):
                found.append(mapping)
        return found

    def _dbrp_by_id(self, dbrp_id: str) -> _Dbrp:
        """dbrp/service.go FindByID, with its fallback to a bucket's virtual mapping."""
        mapping = self._dbrps.get(dbrp_id)
        if mapping is not None:
            mapping.default = self._defaults.get(mapping.database) == mapping.id
            return mapping
        bucket = self._buckets.get(dbrp_id)
        if bucket is None:
            raise _V2Error("not found", "unable to find DBRP")
        return _virtual_dbrp(bucket)

    def _delete_dbrp(self, dbrp_id: str) -> None:
        """dbrp/service.go Delete: the default passes to the first remaining mapping."""
        mapping = self._dbrps.pop(dbrp_id, None)
        if mapping is None or self._defaults.get(mapping.database) != dbrp_id:
            return
        rest = sorted((m for m in self._dbrps.values() if m.database == mapping.database),
                      key=lambda m: m.id)
        if rest:
            self._defaults[mapping.database] = rest[0].id
        else:
            del self._defaults[mapping.database]

    def _create_dbrp(self, db: str, rp: str, bucket_id: str, default: bool) -> _Dbrp:
        """dbrp/service.go Create."""
        for name, what in ((db, "database"), (rp, "retentionPolicy")):
            if not _valid_dbrp_name(name):
                raise _V2Error("invalid", f"DBRP provided is invalid: {what} must contain at "
                               "least one character and only be letters, numbers, '_', '-', "
                               "and '.'")
        if bucket_id not in self._buckets:
            raise _V2Error("not found", "bucket not found")
        if any(m.database == db and m.retention_policy == rp for m in self._dbrps.values()):
            raise _V2Error("conflict", "another DBRP mapping with same orgID, db, and rp exists")
        mapping = _Dbrp(self._next_dbrp_id(), db, rp, default, False, self.org_id, bucket_id)
        if db not in self._defaults:
            mapping.default = True
        self._dbrps[mapping.id] = mapping
        if mapping.default:
            self._defaults[db] = mapping.id
        return mapping

    async def _create_bucket(self, name: str, *, description: str = "", retention: int = 0,
                             shard_group: int = 0) -> _Bucket:
        """tenant BucketSvc.CreateBucket, then storage Engine.CreateBucket."""
        if name.startswith("_"):
            raise _V2Error("invalid", f"bucket name {name} is invalid. Buckets may not start "
                           "with underscore")
        if '"' in name:
            raise _V2Error("invalid", f"bucket name {name} is invalid. Bucket names may not "
                           "include quotation marks")
        if self._bucket_named(name) is not None:
            raise _V2Error("conflict", f"bucket with name {name} already exists")
        if 0 < retention < 3600:
            # meta.ErrRetentionPolicyDurationTooLow is no errors.Error: the API says so
            # under the code "internal error", and the bucket is deleted again.
            raise _V2Error("internal error", "retention policy duration must be at least 1h0m0s")
        bucket = self._add_bucket(name, description=description, retention=retention,
                                  shard_group=shard_group)
        db, rp = _location(name)
        await self._upstream.ensure(db, rp, retention, force=True)
        return bucket

    async def _delete_bucket(self, bucket: _Bucket) -> None:
        del self._buckets[bucket.id]
        for mapping in [m for m in self._dbrps.values() if m.bucket_id == bucket.id]:
            self._delete_dbrp(mapping.id)
        db, rp = _location(bucket.name)
        shared = any(_location(b.name)[0] == db for b in self._buckets.values())
        await self._upstream.drop(db, rp, whole_database=not shared)

    async def create_database(self, name: str) -> None:
        bucket = self._bucket_named(name)
        if bucket is None:
            try:
                bucket = await self._create_bucket(name)
            except _V2Error as exc:
                raise _UpstreamError(exc.message) from exc
        db, rp = _location(name)
        await self._upstream.ensure(db, rp, bucket.retention)
        if not any(m.database == db and m.retention_policy == rp for m in self._dbrps.values()):
            self._create_dbrp(db, rp, bucket.id, True)

    # -- routing ------------------------------------------------------------------------

    async def handle(self, req: _Request) -> _Reply:
        reply = await self._route(req)
        reply.headers[:0] = [("X-Influxdb-Build", "OSS"),
                             ("X-Influxdb-Version", self._profile.version)]
        return reply

    async def _route(self, req: _Request) -> _Reply:
        path = req.path
        if path == "/health":
            body = (f'{{"name":"influxdb", "message":"ready for queries and writes", '
                    f'"status":"pass", "checks":[], "version": "{self._profile.version}", '
                    f'"commit": "{self._profile.commit}"}}\n')
            return _reply(200, body, _JSON_UTF8)
        if path in ("/write", "/query", "/ping"):
            return await self._legacy(req)
        if path.startswith(("/api/v2", "/v1", "/private/")):
            try:
                return await self._api(req)
            except _V2Error as exc:
                return _v2_error(exc.code, exc.message, pretty=True)
        # Everything else is the UI, which is not emulated.
        return _v2_error("not found", "path not found")

    # -- the 1.x compatibility API ------------------------------------------------------

    async def _legacy(self, req: _Request) -> _Reply:
        if req.path != "/ping":
            refused = self._v1_auth(req)
            if refused is not None:
                return refused
        if req.path == "/ping":
            reply = _ping_v2(req)
        elif req.path == "/write":
            if req.method == "POST":
                reply = await self._v1_write(req)
            elif req.method == "OPTIONS":
                reply = _reply(200, headers=[("Allow", "OPTIONS, POST")])
            else:
                reply = _v2_error("method not allowed", "allow: OPTIONS, POST")
                reply.headers.append(("Allow", "OPTIONS, POST"))
        else:
            reply = await self._v1_query(req)
        # gziphandler.GzipHandler sits inside the 1.x authentication.
        reply.headers.append(("Vary", "Accept-Encoding"))
        if _accepts_gzip(req.header("accept-encoding") or "") and len(reply.body) >= \
                _GZIP_MIN_SIZE:
            reply.body = gzip.compress(reply.body)
            reply.headers.append(("Content-Encoding", "gzip"))
        return reply

    def _v1_auth(self, req: _Request) -> _Reply | None:
        """influx1x_authentication_handler.go parseCredentials, then the authorizer."""
        token: str | None = None
        if req.arg("u") and req.arg("p"):
            token = req.arg("p")
        elif header := req.header("authorization"):
            parts = header.split(" ")
            if len(parts) == 2 and parts[0] == "Token":
                token = parts[1].partition(":")[2] if ":" in parts[1] else parts[1]
            else:
                token = _basic_password(header)
        if token is None:
            return _v2_error("unauthorized", "unauthorized access")
        if token != self._token:
            return _v2_error("unauthorized", "Unauthorized")
        return None

    async def _v1_write(self, req: _Request) -> _Reply:
        """http/legacy/write_handler.go handleWrite."""
        db = req.arg("db")
        if not db:
            return _v2_error("invalid", "missing db")
        if not _gzip_header_ok(req):  # gzip.NewReader's own error: no errors.Error
            return _v2_error("internal error", _GENERIC_INTERNAL)
        rp = req.arg("rp")
        mappings = self.find_dbrps(db=db, rp=rp) if rp else self.find_dbrps(db=db, default=True)
        if not mappings:
            return _v2_error("not found", "no dbrp mapping found")
        bucket = self._buckets.get(mappings[0].bucket_id)
        if bucket is None:
            return _v2_error("not found", "bucket not found")
        body, refused = _v2_body(req)
        if refused is not None:
            return refused
        # models.GetPrecisionMultiplier knows us, ms and s: anything else is ns. But a
        # point without a timestamp gets the time of day truncated by SetPrecision, which
        # also knows u, m and h: influxd, told ns, would not truncate it.
        raw = req.arg("precision")
        precision = {"us": "u", "ms": "ms", "s": "s"}.get(raw, "n")
        unit = {"u": 1000, "m": 60 * 10**9, "h": 3600 * 10**9}.get(raw)
        default = None if unit is None else time.time_ns() // unit * unit
        return await self._store(bucket, body, precision, default=default)

    async def _store(self, bucket: _Bucket, body: bytes, precision: str, *,
                     default: int | None = None) -> _Reply:
        """points_parser.go parsePoints, then the points writer: a batch with a line that
        does not parse is refused whole, before anything is written."""
        db, rp = _location(bucket.name)
        retimed = _retime(body, default=default)
        verdict = await self._upstream.validate(retimed.body, precision)
        kind, message = _split_influxd_write_error(verdict)
        if kind != "parse":
            answer = await self._upstream.write(retimed.body, db, rp, precision)
            kind, message = _split_influxd_write_error(answer)
        message = retimed.restore(message)
        if kind == "ok":
            return _Reply(204)
        if kind == "parse":
            return _v2_error("invalid", message)
        if kind == "partial":
            return _v2_error("unprocessable entity",
                             f"failure writing points to database: {message}")
        return _v2_error("internal error",
                         f"unexpected error writing points to database: {message}")

    async def _v1_query(self, req: _Request) -> _Reply:
        """http/legacy/influxqld_handler.go handleInfluxqldQuery and ProxyExecutor.Query."""
        form = _go_form(req)
        q = _first(form, "q").strip()
        if not q:
            media_type = (req.header("content-type") or "").split(";")[0].strip().lower()
            if not media_type:
                return _v2_error("invalid", "mime: no media type")
            if "/" not in media_type:
                return _v2_error("invalid", "mime: expected slash after first token")
            if media_type == "application/vnd.influxql":
                q = req.body.decode("utf-8", "replace")
        accept = req.header("accept") or ""
        fmt = accept if accept in ("application/csv", "text/csv", "application/x-msgpack") \
            else "application/json"
        query = _V2Query(self, q, form, fmt)
        try:
            return await query.run()
        except _V2Error as exc:
            return _v2_error(exc.code, exc.message)

    # -- the 2.x API --------------------------------------------------------------------

    async def _api(self, req: _Request) -> _Reply:
        if req.method == "OPTIONS":  # kithttp.SkipOptions, outside the authentication
            return _Reply(200)
        no_auth = {("GET", "/api/v2"), ("POST", "/api/v2/signin"), ("POST", "/api/v2/signout"),
                   ("POST", "/api/v2/setup"), ("GET", "/api/v2/setup"),
                   ("GET", "/api/v2/swagger.json")}
        if (req.method, req.path) not in no_auth:
            header = req.header("authorization") or ""
            token: str | None = None
            if header[:6].lower() == "token ":
                token = header[6:]
            elif len(header) > 7 and header[:7].lower() == "bearer ":
                token = header[7:]
            if token != self._token:
                return _v2_error("unauthorized", "unauthorized access")
        parts = req.path.rstrip("/").split("/")[1:]  # "api", "v2", ...
        if parts[:3] == ["api", "v2", "write"] and len(parts) == 3:
            if req.method != "POST":
                reply = _v2_error("method not allowed", "allow: OPTIONS, POST")
                reply.headers.append(("Allow", "OPTIONS, POST"))
                return reply
            return await self._v2_write(req)
        if parts[:3] == ["api", "v2", "orgs"]:
            return self._orgs(req, parts[3:])
        if parts[:3] == ["api", "v2", "buckets"]:
            return await self._buckets_api(req, parts[3:])
        if parts[:3] == ["api", "v2", "dbrps"]:
            return self._dbrps_api(req, parts[3:])
        return _v2_error("not found", "path not found")

    async def _v2_write(self, req: _Request) -> _Reply:
        """http/write_handler.go handleWrite."""
        precision = req.arg("precision") or "ns"
        if precision not in ("ns", "us", "ms", "s"):
            return _v2_error("invalid", "invalid precision; valid precision units are ns, us, "
                             "ms, and s")
        if not req.arg("bucket"):
            return _v2_error("not found", "bucket not found")
        if not _gzip_header_ok(req):
            return _v2_error("internal error", _GENERIC_INTERNAL)
        try:
            self._query_organization(req)
            bucket = self._find_write_bucket(req.arg("bucket"))
        except _V2Error as exc:
            return _v2_error(exc.code, exc.message)
        body, refused = _v2_body(req)
        if refused is not None:
            return refused
        precision = {"ns": "n", "us": "u", "ms": "ms", "s": "s"}[precision]
        return await self._store(bucket, body, precision)

    def _query_organization(self, req: _Request) -> None:
        """http/requests.go queryOrganization and tenant OrgSvc.FindOrganization."""
        org_id: str | None = None
        name: str | None = None
        if org := req.arg("org"):
            try:
                org_id = _parse_id(org)
            except _V2Error:
                name = org
        if raw := req.arg("orgID"):
            org_id = _parse_id(raw)
        self._find_org(org_id, name)

    def _find_org(self, org_id: str | None, name: str | None) -> None:
        if org_id is not None:
            if org_id != self.org_id:
                raise _V2Error("not found", "organization not found")
        elif name is None:
            raise _V2Error("invalid", "Please provide either orgID or org")
        elif name != self.org_name:
            raise _V2Error("not found", f'organization name "{name}" not found')

    def _find_write_bucket(self, text: str) -> _Bucket:
        """http/write_handler.go findBucket: by ID first, then by name."""
        with contextlib.suppress(_V2Error):
            bucket = self._buckets.get(_parse_id(text))
            if bucket is not None:
                return bucket
        bucket = self._bucket_named(text)
        if bucket is None:
            raise _V2Error("not found", f'bucket "{text}" not found')
        return bucket

    def _org_json(self) -> dict[str, Any]:
        """tenant/http_server_org.go newOrgResponse."""
        oid, name = self.org_id, self.org_name
        return {
            "links": {
                "buckets": f"/api/v2/buckets?org={name}",
                "dashboards": f"/api/v2/dashboards?org={name}",
                "labels": f"/api/v2/orgs/{oid}/labels",
                "logs": f"/api/v2/orgs/{oid}/logs",
                "members": f"/api/v2/orgs/{oid}/members",
                "owners": f"/api/v2/orgs/{oid}/owners",
                "secrets": f"/api/v2/orgs/{oid}/secrets",
                "self": f"/api/v2/orgs/{oid}",
                "tasks": f"/api/v2/tasks?org={name}",
            },
            "id": oid, "name": name, "description": "",
            "createdAt": _go_time(self._org_created), "updatedAt": _go_time(self._org_created),
        }

    def _orgs(self, req: _Request, rest: list[str]) -> _Reply:
        if not rest and req.method == "GET":
            _decode_find_options(req)
            org_id: str | None = None
            with contextlib.suppress(_V2Error):
                if raw := req.arg("orgID"):
                    org_id = _parse_id(raw)
            name = req.arg("org") or None
            if org_id is not None or name is not None:
                self._find_org(org_id, name)
            return _v2_respond(200, {"links": {"self": "/api/v2/orgs"},
                                     "orgs": [self._org_json()]})
        if len(rest) == 1 and req.method == "GET":
            self._find_org(_parse_id(rest[0]), None)
            return _v2_respond(200, self._org_json())
        return _Reply(405)

    async def _buckets_api(self, req: _Request, rest: list[str]) -> _Reply:
        if not rest and req.method == "GET":
            return self._list_buckets(req)
        if not rest and req.method == "POST":
            return await self._post_bucket(req)
        if len(rest) == 1 and req.method in ("GET", "DELETE"):
            bucket = self._buckets.get(_parse_id(rest[0]))
            if bucket is None:
                raise _V2Error("not found", "bucket not found")
            if req.method == "GET":
                return _v2_respond(200, bucket.to_json())
            if bucket.system:
                raise _V2Error("invalid", "system buckets cannot be deleted")
            await self._delete_bucket(bucket)
            return _Reply(204)
        return _Reply(405)

    def _list_buckets(self, req: _Request) -> _Reply:
        """tenant/http_server_bucket.go handleGetBuckets and BucketSvc.FindBuckets."""
        limit, offset, after, descending = _decode_find_options(req)
        filters: list[tuple[str, str]] = []
        org_id: str | None = None
        if raw := req.arg("orgID"):
            org_id = _parse_id(raw)
            filters.append(("orgID", raw))
        if org := req.arg("org"):
            filters.append(("org", org))
        name = req.arg("name") or None
        if name is not None:
            filters.append(("bucket", name))
        bucket_id = None
        if raw := req.arg("id"):
            bucket_id = _parse_id(raw)
            filters.append(("id", raw))
        found: list[_Bucket]
        if bucket_id is not None:
            bucket = self._buckets.get(bucket_id)
            if bucket is None:
                raise _V2Error("not found", "bucket not found")
            found = [bucket]
        else:
            if org_id is None and org:
                self._find_org(None, org)
                org_id = self.org_id
            if name is not None and org_id is not None:
                bucket = self._bucket_named(name) if org_id == self.org_id else None
                if bucket is None:
                    raise _V2Error("not found", f'bucket "{name}" not found')
                found = [bucket]
            else:
                if org_id is not None:
                    ordered = self._org_buckets() if org_id == self.org_id else []
                    if after is not None:
                        ids = [b.id for b in ordered]
                        ordered = ordered[ids.index(after) + 1:] if after in ids else []
                else:
                    ordered = sorted(self._buckets.values(), key=lambda b: b.id)
                    if after is not None:
                        ordered = [b for b in ordered if b.id > after]
                    if name is not None:
                        ordered = [b for b in ordered if b.name == name]
                if descending:
                    ordered.reverse()
                found = ordered[offset:offset + limit]
        options = [("descending", "true" if descending else "false"), ("limit", str(limit)),
                   ("offset", str(offset))]
        if after is not None:
            options.append(("after", after))
        links = _paging_links("/api/v2/buckets", filters + options, offset, limit, len(found))
        return _v2_respond(200, {"links": links, "buckets": [b.to_json() for b in found]})

    async def _post_bucket(self, req: _Request) -> _Reply:
        """tenant/http_server_bucket.go handlePostBucket."""
        request = _json_object(req.body, "tenant.postBucketRequest",
                               "failed to unmarshal json")
        raw_org = request.get("orgID") or ""
        if raw_org:
            org_id = _parse_id(str(raw_org), context="failed to unmarshal json")
        else:
            raise _V2Error("invalid", "organization id must be provided")
        rules = request.get("retentionRules") or []
        if len(rules) > 1:
            raise _V2Error("unprocessable entity",
                           "buckets cannot have more than one retention rule at this time")
        every = shard = 0
        if rules:
            every = int(rules[0].get("everySeconds") or 0)
            shard = int(rules[0].get("shardGroupDurationSeconds") or 0)
            if every < 0:
                raise _V2Error("unprocessable entity", "expiration seconds cannot be negative")
            if shard < 0:
                raise _V2Error("unprocessable entity",
                               "shard-group duration seconds cannot be negative")
        name = str(request.get("name") or "")
        if org_id != self.org_id and not name.startswith("_") and '"' not in name:
            raise _V2Error("not found", "organization not found")
        bucket = await self._create_bucket(name, description=str(request.get("description")
                                                                  or ""),
                                           retention=every, shard_group=shard)
        return _v2_respond(201, bucket.to_json())

    def _dbrps_api(self, req: _Request, rest: list[str]) -> _Reply:
        """dbrp/http_server_dbrp.go."""
        if not rest and req.method == "GET":
            ours = self._dbrp_org(req)
            filters: dict[str, Any] = {}
            for param, key, error in (("id", "dbrp_id", "DBRP"), ("bucketID", "bucket_id",
                                                                  "bucket")):
                if raw := req.arg(param):
                    filters[key] = _parse_id(raw, context=f'invalid {error} ID "{raw}"')
            if req.arg("db"):
                filters["db"] = req.arg("db")
            if req.arg("rp"):
                filters["rp"] = req.arg("rp")
            if raw := req.arg("default"):
                value = _go_bool(raw)
                if value is None:
                    raise _V2Error("invalid", "invalid default parameter")
                filters["default"] = value
            found = self.find_dbrps(**filters) if ours else []
            return _v2_respond(200, {"content": [m.to_json() for m in found]})
        if not rest and req.method == "POST":
            return self._post_dbrp(req)
        if len(rest) == 1 and req.method in ("GET", "DELETE"):
            dbrp_id = _parse_id(rest[0])
            ours = self._dbrp_org(req)
            if req.method == "GET":
                if not ours and dbrp_id not in self._buckets:
                    raise _V2Error("not found", "unable to find DBRP")
                return _v2_respond(200, {"content": self._dbrp_by_id(dbrp_id).to_json()})
            if ours:
                self._delete_dbrp(dbrp_id)  # deleting what is not there is no error
            return _Reply(204)
        return _Reply(405)

    def _dbrp_org(self, req: _Request) -> bool:
        """dbrp/http_server_dbrp.go mustGetOrgIDFromHTTPRequest: whether it is ours."""
        if raw := req.arg("orgID"):
            return _parse_id(raw, context=f'invalid org ID "{raw}"') == self.org_id
        name = req.arg("org")
        if not name:
            raise _V2Error("invalid", "either 'org' or 'orgID' must be provided")
        if name != self.org_name:
            raise _V2Error("not found", f'invalid org "{name}": organization not found')
        return True

    def _post_dbrp(self, req: _Request) -> _Reply:
        request = _json_object(req.body, "dbrp.createDBRPRequest", "invalid json structure")
        raw_org = str(request.get("orgID") or "")
        if not raw_org:
            org = str(request.get("org") or "")
            if not org:
                raise _V2Error("invalid", "either 'org' or 'orgID' must be provided")
            if org != self.org_name:
                raise _V2Error("not found", f'invalid org "{org}": organization not found')
        else:
            org_id = _parse_id(raw_org, context=f'invalid org ID "{raw_org}"')
            if org_id != self.org_id:
                raise _V2Error("not found", "bucket not found")
        raw_bucket = str(request.get("bucketID") or "")
        bucket_id = _parse_id(raw_bucket, context=f'invalid bucket ID "{raw_bucket}"')
        mapping = self._create_dbrp(str(request.get("database") or ""),
                                    str(request.get("retention_policy") or ""), bucket_id,
                                    bool(request.get("default")))
        return _v2_respond(201, mapping.to_json())


def _virtual_dbrp(bucket: _Bucket) -> _Dbrp:
    """dbrp/service.go bucketToMapping."""
    db, rp = _location(bucket.name)
    return _Dbrp(bucket.id, db, rp, bucket.name == db, True, bucket.org_id, bucket.id)


def _ping_v2(req: _Request) -> _Reply:
    """http/legacy/ping_handler.go: a plain httprouter, GET and HEAD."""
    if req.method in ("GET", "HEAD"):
        return _Reply(204)
    allow = ("Allow", "GET, HEAD, OPTIONS")
    if req.method == "OPTIONS":
        return _reply(200, headers=[allow])
    return _reply(405, "Method Not Allowed\n", "text/plain; charset=utf-8",
                  [allow, ("X-Content-Type-Options", "nosniff")])


def _gzip_header_ok(req: _Request) -> bool:
    """Whether gzip.NewReader (http/points/batch_reader.go BatchReadCloser) would take the
    body: not gzip-encoded, or beginning with a gzip header."""
    if req.header("content-encoding") not in ("gzip", "x-gzip"):
        return True
    return len(req.body) >= 10 and req.body[:3] == b"\x1f\x8b\x08"


def _v2_body(req: _Request) -> tuple[bytes, _Reply | None]:
    """The body as http/points/points_parser.go parsePoints reads it."""
    if req.header("content-encoding") not in ("gzip", "x-gzip"):
        return req.body, None
    decoded = _gunzip(req.body)
    if decoded.error is None:
        return decoded.body, None
    if decoded.error == "checksum":
        return b"", _v2_error("invalid", "unable to read data: gzip: invalid checksum")
    if decoded.error == "truncated":
        return b"", _v2_error("internal error", "unable to read data: unexpected EOF")
    return b"", _v2_error("internal error", _GENERIC_INTERNAL)


def _basic_password(header: str) -> str | None:
    """Go's Request.BasicAuth: the password, or None."""
    if header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None
    _, sep, password = decoded.partition(":")
    return password if sep else None


def _accepts_gzip(header: str) -> bool:
    """gziphandler acceptsGzip: a gzip coding with a quality above 0."""
    for coding in header.split(","):
        name, *params = (part.strip() for part in coding.split(";"))
        if name.lower() != "gzip":
            continue
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = min(max(float(param[2:]), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        return quality > 0
    return False


def _go_bool(text: str) -> bool | None:
    """strconv.ParseBool."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def _decode_find_options(req: _Request) -> tuple[int, int, str | None, bool]:
    """paging.go DecodeFindOptions: limit, offset, after, descending."""
    offset = 0
    if raw := req.arg("offset"):
        try:
            offset = int(raw)
        except ValueError:
            raise _V2Error("invalid", "offset is invalid") from None
    after = None
    if raw := req.arg("after"):
        after = _parse_id(raw, context="decoding after")
    limit = _PAGE_SIZE
    if raw := req.arg("limit"):
        try:
            limit = int(raw)
        except ValueError:
            raise _V2Error("invalid", "limit is invalid") from None
        if not 1 <= limit <= _MAX_PAGE_SIZE:
            raise _V2Error("invalid", f"limit must be between 1 and {_MAX_PAGE_SIZE}")
    descending = False
    if raw := req.arg("descending"):
        value = _go_bool(raw)
        if value is None:
            raise _V2Error("invalid", "descending is invalid")
        descending = value
    return limit, max(offset, 0), after, descending


def _paging_links(base: str, values: list[tuple[str, str]], offset: int, limit: int,
                  count: int) -> dict[str, str]:
    """paging.go NewPagingLinks (url.Values.Encode sorts by key)."""

    def link(items: list[tuple[str, str]]) -> str:
        return base + "?" + urllib.parse.urlencode(sorted(items, key=lambda kv: kv[0]))

    links: dict[str, str] = {}
    if offset > 0:
        others = [kv for kv in values if kv[0] != "offset"]
        links["prev"] = link([*others, ("offset", str(max(offset - limit, 0)))])
    links["self"] = link(values)
    if count >= limit:
        others = [kv for kv in values if kv[0] != "offset"]
        links["next"] = link([*others, ("offset", str(offset + limit))])
    return {key: links[key] for key in ("prev", "self", "next") if key in links}


def _go_form(req: _Request) -> list[tuple[str, str]]:
    """Go's Request.Form: a urlencoded POST/PUT/PATCH body first, then the URL."""
    pairs: list[tuple[str, str]] = []
    media_type = (req.header("content-type") or "").split(";")[0].strip().lower()
    if req.method in ("POST", "PUT", "PATCH") and media_type == \
            "application/x-www-form-urlencoded":
        pairs = urllib.parse.parse_qsl(req.body.decode("utf-8", "replace"),
                                       keep_blank_values=True)
    return pairs + req.pairs


def _first(pairs: Sequence[tuple[str, str]], name: str) -> str:
    return next((value for key, value in pairs if key == name), "")


# -- InfluxQL, just enough to tell statements apart -----------------------------------


class _Token(NamedTuple):
    kind: Literal["word", "ident", "string", "number", "punct", "regex", ";"]
    text: str  # a word as written; a quoted identifier or string unquoted
    start: int  # offsets in the query text
    end: int

    def word(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def _lex(text: str) -> list[_Token]:
    """Tokens of InfluxQL: identifiers, strings, regexes, punctuation; comments skipped."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c in "\"'":
            j, value = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                value.append(text[j])
                j += 1
            tokens.append(_Token("ident" if c == '"' else "string", "".join(value), i,
                                 min(j + 1, n)))
            i = j + 1
        elif c == "/" and tokens and tokens[-1].text in ("=~", "!~"):
            j = i + 1
            while j < n and text[j] != "/":
                j += 2 if text[j] == "\\" else 1
            tokens.append(_Token("regex", text[i + 1:j], i, min(j + 1, n)))
            i = j + 1
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(_Token("word", text[i:j], i, j))
            i = j
        elif c.isdigit():
            j = i
            while j < n and (text[j].isalnum() or text[j] == "."):
                j += 1
            tokens.append(_Token("number", text[i:j], i, j))
            i = j
        elif c == ";":
            tokens.append(_Token(";", ";", i, i + 1))
            i += 1
        else:
            two = text[i:i + 2]
            size = 2 if two in ("=~", "!~", "!=", "<>", ">=", "<=", "::") else 1
            tokens.append(_Token("punct", text[i:i + size], i, i + size))
            i += size
    return tokens


@dataclass
class _Statement:
    text: str
    start: int  # offset of its first token in the whole query
    tokens: list[_Token]

    def words(self, count: int) -> list[str]:
        return [t.word() for t in self.tokens[:count]] + [""] * max(0, count - len(self.tokens))


def _statements(text: str) -> list[_Statement]:
    """The statements of a query, split at the semicolons outside quotes."""
    found: list[_Statement] = []
    current: list[_Token] = []
    for token in [*_lex(text), _Token(";", ";", len(text), len(text))]:
        if token.kind == ";":
            if current:
                found.append(_Statement(text[current[0].start:current[-1].end],
                                        current[0].start, current))
            current = []
        else:
            current.append(token)
    return found


def _source_dbrp(tokens: Sequence[_Token]) -> tuple[str | None, str | None]:
    """The database and retention policy of the first source after FROM (or ON)."""
    for index, token in enumerate(tokens):
        if token.word() in ("FROM", "ON"):
            parts: list[str] = []
            j = index + 1
            while j < len(tokens) and tokens[j].kind in ("word", "ident"):
                parts.append(tokens[j].text)
                j += 1
                if j < len(tokens) and tokens[j].text == ".":
                    j += 1
                    while j < len(tokens) and tokens[j].text == ".":  # db..m
                        parts.append("")
                        j += 1
                    continue
                break
            if token.word() == "ON":
                return (parts[0] if parts else None), (parts[1] if len(parts) > 1 else None)
            if len(parts) >= 3:
                return parts[0], parts[1] or None
            if len(parts) == 2:
                return None, parts[0]
            return None, None
    return None, None


# 2.x: v1/coordinator/statement_executor.go ExecuteStatement.
_V2_NOT_IMPLEMENTED: Final[Sequence[tuple[tuple[str, ...], str]]] = (
    (("ALTER", "RETENTION"), "ALTER RETENTION POLICY"),
    (("CREATE", "CONTINUOUS"), "CREATE CONTINUOUS QUERY"),
    (("CREATE", "DATABASE"), "CREATE DATABASE"),
    (("CREATE", "RETENTION"), "CREATE RETENTION POLICY"),
    (("CREATE", "SUBSCRIPTION"), "CREATE SUBSCRIPTION"),
    (("CREATE", "USER"), "CREATE USER"),
    (("DROP", "CONTINUOUS"), "DROP CONTINUOUS QUERY"),
    (("DROP", "DATABASE"), "DROP DATABASE"),
    (("DROP", "SERIES"), "DROP SERIES"),
    (("DROP", "RETENTION"), "DROP RETENTION POLICY"),
    (("DROP", "SHARD"), "DROP SHARD"),
    (("DROP", "SUBSCRIPTION"), "DROP SUBSCRIPTION"),
    (("DROP", "USER"), "DROP USER"),
    (("GRANT", "ALL"), "GRANT ALL"),
    (("GRANT",), "GRANT"),
    (("REVOKE", "ALL"), "REVOKE ALL"),
    (("REVOKE",), "REVOKE"),
    (("SHOW", "CONTINUOUS"), "SHOW CONTINUOUS QUERIES"),
    (("SHOW", "DIAGNOSTICS"), "SHOW DIAGNOSTICS"),
    (("SHOW", "GRANTS"), "SHOW GRANTS"),
    (("SHOW", "MEASUREMENT", "CARDINALITY"), "SHOW MEASUREMENT CARDINALITY"),
    (("SHOW", "MEASUREMENT", "EXACT"), "SHOW MEASUREMENT CARDINALITY"),
    (("SHOW", "SERIES", "CARDINALITY"), "SHOW SERIES CARDINALITY"),
    (("SHOW", "SERIES", "EXACT"), "SHOW SERIES CARDINALITY"),
    (("SHOW", "SHARDS"), "SHOW SHARDS"),
    (("SHOW", "SHARD", "GROUPS"), "SHOW SHARD GROUPS"),
    (("SHOW", "STATS"), "SHOW STATS"),
    (("SHOW", "SUBSCRIPTIONS"), "SHOW SUBSCRIPTIONS"),
    (("SHOW", "USERS"), "SHOW USERS"),
    (("SET", "PASSWORD"), "SET PASSWORD"),
    (("SHOW", "QUERIES"), "SHOW QUERIES"),
    (("KILL", "QUERY"), "SHOW QUERIES"),
)


def _v2_kind(statement: _Statement) -> tuple[str, str]:
    """("forward" | "show_databases" | "show_rp" | "not_implemented" | "delete", detail)."""
    words = statement.words(3)
    for prefix, operation in _V2_NOT_IMPLEMENTED:
        if tuple(words[:len(prefix)]) == prefix:
            return "not_implemented", operation
    if words[:2] == ["SHOW", "DATABASES"]:
        return "show_databases", ""
    if words[:3] == ["SHOW", "RETENTION", "POLICIES"]:
        db, _ = _source_dbrp(statement.tokens)
        return "show_rp", db or ""
    if words[0] == "DELETE" or words[:2] == ["DROP", "MEASUREMENT"]:
        return "delete", ""
    if words[0] == "SELECT" and any(t.word() == "INTO" for t in statement.tokens):
        return "not_implemented", "SELECT INTO"
    return "forward", ""


class _V2Query:
    """One 2.x /query request: mapped, forwarded or answered, in the client's format."""

    def __init__(self, server: _V2Server, q: str, form: list[tuple[str, str]],
                 fmt: str) -> None:
        self._server = server
        self._q = q
        self._fmt = fmt
        self._db = _first(form, "db")
        self._rp = _first(form, "rp")
        self._epoch = _first(form, "epoch")
        self._params = _first(form, "params")
        self._chunked = _first(form, "chunked") == "true"
        self._chunk_size = _first(form, "chunk_size")
        self._sentinel = "influxkit_flavour_unmapped_" + secrets.token_hex(6)
        # What influxd says about the sentinel, and what 2.x says instead.
        self._replacements: list[tuple[str, str]] = []
        self._upstream_db, self._upstream_rp = self._map()

    def _map(self) -> tuple[str, str]:
        """The influxd db and rp for the db and rp parameters, through the mappings
        (statement_executor.go normalizeMeasurement, shard_mapper.go mapShards)."""
        if not self._db:
            return "", self._rp
        mappings = self._server.find_dbrps(db=self._db)
        if not mappings:
            self._replacements.append((self._sentinel, self._db))
            return self._sentinel, self._rp
        default = next((m for m in mappings if m.default), None)
        rp = self._rp or (default.retention_policy if default else "")
        mapping = next((m for m in mappings if m.retention_policy == rp), None)
        if mapping is None or self._server._buckets.get(mapping.bucket_id) is None:
            found = f"retention policy not found: {self._sentinel}"
            said = f"retention policy not found: {rp}" if rp else \
                f"default retention policy not set for: {self._db}"
            self._replacements.append((found, said))
            self._replacements.append((self._sentinel, rp))
            bucket = self._server._buckets.get((default or mappings[0]).bucket_id)
            return (_location(bucket.name)[0] if bucket else self._sentinel), self._sentinel
        return _location(self._server._buckets[mapping.bucket_id].name)

    def _restore(self, body: bytes) -> bytes:
        """Put the client's names back where the sentinel shows in influxd's answer."""
        if not self._replacements or self._sentinel.encode() not in body:
            return body

        def change(text: str) -> str:
            for found, said in self._replacements:
                text = text.replace(found, said)
            return text

        if self._fmt == "application/x-msgpack":
            return b"".join(_pack(_walk_strings(doc, change), go=True)
                            for doc in _unpack_all(body))
        text = body.decode("utf-8", "surrogateescape")
        for found, said in self._replacements:
            if self._fmt == "application/json":
                said = json.dumps(said, ensure_ascii=False)[1:-1]
            text = text.replace(found, said)
        return text.encode("utf-8", "surrogateescape")

    async def run(self) -> _Reply:
        if not self._q.strip():
            return _reply(200, {"application/json": b"{}\n",
                                "application/x-msgpack": b"\x81\xa7results\x90"}.get(
                                    self._fmt, b""), self._fmt)
        statements = _statements(self._q)
        kinds = [_v2_kind(s) for s in statements]
        local = any(kind != "forward" for kind, _ in kinds if kind != "delete") or any(
            kind == "delete" and not self._server.find_dbrps(db=self._db, default=True)
            for kind, _ in kinds)
        if not local:
            answer = await self._forward(self._q, self._fmt, self._chunked, self._epoch)
            return _reply(200, self._restore(answer.body), self._fmt)
        return await self._one_by_one(statements, kinds)

    async def _forward(self, q: str, fmt: str, chunked: bool, epoch: str) -> _Answer:
        answer = await self._server._upstream.query(
            q, db=self._upstream_db, rp=self._upstream_rp, epoch=epoch, chunked=chunked,
            chunk_size=self._chunk_size, params=self._params, accept=fmt)
        if answer.status == 400:
            message = answer.error()
            if message.startswith("error parsing query: "):
                raise _V2Error("invalid", "failed to parse query: "
                               + message[len("error parsing query: "):])
            raise _V2Error("invalid", message)
        if answer.status != 200:
            raise _V2Error("internal error", answer.error())
        return answer

    async def _one_by_one(self, statements: list[_Statement],
                          kinds: list[tuple[str, str]]) -> _Reply:
        """influxql/query/executor.go: statement after statement, stopping at an error."""
        results: list[tuple[int, Any, bool]] = []  # (statement id, result, failed)
        count = len(statements)
        failed_at = None
        for index, (statement, (kind, detail)) in enumerate(zip(statements, kinds, strict=True)):
            produced = await self._statement(index, statement, kind, detail)
            results.extend(produced)
            if any(failed for _, _, failed in produced):
                failed_at = index
                break
        if failed_at is not None:
            for index in range(failed_at, count - 1):
                results.append((index, self._result(index, error="not executed"), True))
        if not self._chunked:
            # GatherResults: an error for the statement just seen replaces its result.
            merged: list[tuple[int, Any, bool]] = []
            for entry in results:
                if merged and merged[-1][0] == entry[0] and entry[2]:
                    merged[-1] = entry
                else:
                    merged.append(entry)
            results = merged
        return _reply(200, self._render(results), self._fmt)

    async def _statement(self, index: int, statement: _Statement, kind: str,
                         detail: str) -> list[tuple[int, Any, bool]]:
        if kind == "not_implemented":
            return [(index, self._result(index, error=f"not implemented: {detail}"), True)]
        if kind == "delete" and not self._server.find_dbrps(db=self._db, default=True):
            message = f"default retention policy not set for: {self._db}"
            return [(index, self._result(index, error=message), True)]
        if kind == "show_databases":
            seen: list[str] = []
            for mapping in self._server.find_dbrps():
                if mapping.database not in seen:
                    seen.append(mapping.database)
            row: dict[str, Any] = {"name": "databases", "columns": ["name"],
                                   "values": [[db] for db in seen]}
            return [(index, self._result(index, series=[row]), False)]
        if kind == "show_rp":
            db = detail or self._db
            if not db:
                return [(index, self._result(index, error="database name required"), True)]
            values = [[m.retention_policy, "0s", "168h0m0s", 1, m.default]
                      for m in self._server.find_dbrps(db=db)]
            row = {"columns": ["name", "duration", "shardGroupDuration", "replicaN", "default"],
                   "values": values}  # no name: models.Row omits it
            return [(index, self._result(index, series=[row]), False)]
        return await self._forward_one(index, statement.text)

    def _result(self, index: int, *, series: list[dict[str, Any]] | None = None,
                error: str | None = None) -> Any:
        """A result of the proxy's own, in the form _render takes for the format."""
        if self._fmt == "application/x-msgpack":
            if error is not None:
                return {"error": error}
            rows = [dict(row) | {"values": row.get("values", [])}
                    for row in series or []]
            return {"statement_id": index, "series": rows}
        value: dict[str, Any] = {"statement_id": index}
        if series:
            value["series"] = [{k: v for k, v in row.items() if k != "values" or v}
                               for row in series]
        if error is not None:
            value["error"] = error
        if self._fmt == "application/json":
            return _go_json(value)
        return value

    async def _forward_one(self, index: int, text: str) -> list[tuple[int, Any, bool]]:
        if self._fmt in ("text/csv", "application/csv"):
            answer = await self._forward(text, "application/json", False, self._epoch or "ns")
            documents = [json.loads(line) for line in answer.body.splitlines() if line.strip()]
            found = []
            for doc in documents:
                for result in doc.get("results", []):
                    result["statement_id"] = index
                    found.append((index, result, "error" in result))
            return found
        answer = await self._forward(text, self._fmt, self._chunked, self._epoch)
        body = self._restore(answer.body)
        found = []
        if self._fmt == "application/x-msgpack":
            for doc in _unpack_all(body):
                for result in doc.get("results", []) if isinstance(doc, dict) else []:
                    if "statement_id" in result:
                        result["statement_id"] = index
                    found.append((index, result, "error" in result))
            return found
        prefix = b'{"results":['
        for line in body.splitlines():
            line = line.strip()
            if not line.startswith(prefix) or not line.endswith(b"]}"):
                continue
            fragment = line[len(prefix):-2]
            failed = "error" in json.loads(fragment)
            fragment = re.sub(rb'^\{"statement_id":\d+', b'{"statement_id":%d' % index,
                              fragment)
            found.append((index, fragment, failed))
        return found

    def _render(self, results: list[tuple[int, Any, bool]]) -> bytes:
        if self._fmt == "application/json":
            if self._chunked:
                return b"".join(b'{"results":[' + r + b"]}\n" for _, r, _ in results)
            if not results:
                return b"{}\n"
            return b'{"results":[' + b",".join(r for _, r, _ in results) + b"]}\n"
        if self._fmt == "application/x-msgpack":
            if self._chunked:
                return b"".join(_pack({"results": [r]}, go=True) for _, r, _ in results)
            return _pack({"results": [r for _, r, _ in results]}, go=True)
        return _v2_csv([r for _, r, _ in results])


def _v2_csv(results: list[dict[str, Any]]) -> bytes:
    """influxql/query/response_writer.go csvFormatter, over decoded JSON results."""
    out: list[str] = []
    statement_id = -1
    columns: list[str] = []
    for result in results:
        series = result.get("series") or []
        if result.get("statement_id") != statement_id:
            if not series:
                continue
            if statement_id >= 0:
                out.append("\n")
            statement_id = int(result.get("statement_id", 0))
            columns = list(series[0].get("columns", []))
            out.append(_csv_line(["name", "tags", *columns]))
        previous: list[str] | None = None
        for row in series:
            row_columns = list(row.get("columns", []))
            if previous is not None and previous != row_columns:
                out.append("\n")
                out.append(_csv_line(["name", "tags", *row_columns]))
            previous = row_columns
            tags = row.get("tags") or {}
            tag_text = ",".join(f"{_escape_tag(k)}={_escape_tag(v)}"
                                for k, v in sorted(tags.items()))
            for values in row.get("values") or []:
                out.append(_csv_line([row.get("name", ""), tag_text,
                                      *(_csv_value(v) for v in values)]))
    return "".join(out).encode()


def _csv_value(value: Any) -> str:
    """A value in a CSV answer, written alike by 2.x's csvFormatter (response_writer.go)
    and 3.9's Display of a value (v1api/value.rs): nothing for null, floats never in
    exponent form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _plain_float(value)
    return str(value)


def _plain_float(value: float) -> str:
    """strconv.FormatFloat(v, 'f', -1, 64): the shortest digits, never an exponent."""
    text = format(Decimal(repr(value)), "f")
    return text[:-2] if text.endswith(".0") else text


def _escape_tag(text: str) -> str:
    return text.replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def _csv_line(fields: Sequence[str]) -> str:
    """encoding/csv Writer: quoted when needed, lines ending in \\n."""
    quoted = []
    for value in fields:
        if value == "" or (not any(c in value for c in ',"\r\n') and not value[:1].isspace()):
            quoted.append(value)
        else:
            quoted.append('"' + value.replace('"', '""') + '"')
    return ",".join(quoted) + "\n"


# -- 3.x ------------------------------------------------------------------------------

_MAX_REQUEST_BYTES: Final = 10 * 1024 * 1024  # influxdb3 serve --max-http-request-size
_MALFORMED_30: Final = ('{"error":"Authorization header was malformed and should be in the form '
                        "'Authorization: Bearer <token>'\"}")
_MALFORMED: Final = ('{"error": "Authorization header was malformed, the request was not in the '
                     "form of 'Authorization: <auth-scheme> <token>', supported auth-schemes are "
                     'Bearer, Token and Basic"}')
_V1_PRECISIONS: Final[Mapping[str, str]] = {  # iox_http write/params.rs Precision
    "s": "s", "second": "s", "ms": "ms", "millisecond": "ms", "u": "u", "us": "u",
    "microsecond": "u", "n": "n", "ns": "n", "nanosecond": "n"}
_V1_PRECISION_NAMES: Final = ("s", "second", "millisecond", "ms", "microsecond", "u", "us", "n",
                              "nanosecond", "ns")


class _SerdeError(Exception):
    """serde_urlencoded's error, worded as it words it."""


def _serde_fields(pairs: Sequence[tuple[str, str]], spec: Mapping[str, Any], *,
                  required: Iterable[str] = ()) -> dict[str, Any]:
    """serde_urlencoded into a struct of Option fields: unknown keys ignored, duplicates
    refused, each value checked against its type in *spec*: ``bool``, ``int`` (usize),
    ``str``, or a tuple of accepted enum spellings. The fields named in *required*
    are not Options: one missing is refused once all the others have been read."""
    values: dict[str, Any] = {}
    for key, raw in pairs:
        kind = spec.get(key)
        if kind is None:
            continue
        if key in values:
            raise _SerdeError(f"duplicate field `{key}`")
        if kind is bool:
            if raw not in ("true", "false"):
                raise _SerdeError("provided string was not `true` or `false`")
            values[key] = raw == "true"
        elif kind is int:
            if raw == "":
                raise _SerdeError("cannot parse integer from empty string")
            if not raw.isdigit() or not raw.isascii():
                raise _SerdeError("invalid digit found in string")
            values[key] = int(raw)
        elif isinstance(kind, tuple):
            if raw not in kind:
                expected = ", ".join(f"`{name}`" for name in kind)
                raise _SerdeError(f"unknown variant `{raw}`, expected one of {expected}")
            values[key] = raw
        else:
            values[key] = raw
    for key in required:
        if key not in values:
            raise _SerdeError(f"missing field `{key}`")
    return values


def _validate_db_name(name: str, version: str, *, accept_rp: bool = True) -> str | None:
    """http.rs validate_db_name: the error message, or None."""
    if not name:
        return "db name cannot be empty"
    if version != "3.0" and len(name.encode()) > 64:
        return "db name too long: max 64"
    invalid_char = ("invalid character in database name: must be ASCII, containing only "
                    "letters, numbers, underscores, or hyphens") if version == "3.0" else (
        "invalid character in database or rp name: must be ASCII, containing only letters, "
        "numbers, underscores, or hyphens")
    bad_rp = ("db name with invalid retention policy, if providing a retention policy name, "
              "must be of form '<db_name>/<rp_name>'")
    if not name[0].isascii() or not name[0].isalnum():
        return invalid_char if not name[0].isascii() else \
            "db name did not start with a number or letter"
    separator = False
    for char in name[1:]:
        if char == "/" and accept_rp:
            if separator:
                return bad_rp
            separator = True
        elif not (char.isascii() and (char.isalnum() or char in "_-")):
            return invalid_char
    if name.endswith("/"):
        return bad_rp
    return None


def _uuid7() -> str:
    """A time-ordered UUID (version 7), as 3.x's Request-Id."""
    millis = int(time.time() * 1000)
    value = (millis << 80) | (0x7 << 76) | (secrets.randbits(12) << 64) | (0b10 << 62) | \
        secrets.randbits(62)
    return str(uuid.UUID(int=value))


class _V3Server:
    """InfluxDB 3 Core 3.0, 3.6 or 3.9: its databases and its answers."""

    def __init__(self, profile: _Profile, token: str, upstream: _Upstream) -> None:
        self._profile = profile
        self._v = profile.name
        self._token = token
        self._upstream = upstream
        self._process_id = str(uuid.uuid4())
        self._cluster_uuid = str(uuid.uuid4())
        # The catalog: databases in the order they were made; _internal comes first.
        self.databases: dict[str, int | None] = {"_internal": None}

    async def create_database(self, name: str) -> None:
        self.databases.setdefault(name, None)
        await self._upstream.ensure(*_location(name))

    # -- routing ------------------------------------------------------------------------

    async def handle(self, req: _Request) -> _Reply:
        reply, cors = await self._route(req)
        if cors and self._v != "3.0":
            reply.headers.append(("Access-Control-Allow-Origin", "*"))
        if self._v == "3.9":
            reply.headers.append(("cluster-uuid", self._cluster_uuid))
        return reply

    async def _route(self, req: _Request) -> tuple[_Reply, bool]:
        """http.rs route_request: the answer, and whether it went out as Ok (CORS header)."""
        if req.method == "OPTIONS" and self._v != "3.0":
            return _reply(204, headers=[
                ("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "*"),
                ("Access-Control-Allow-Headers", "*"), ("Access-Control-Max-Age", "86400")]), \
                False
        refused = self._authenticate(req)
        if refused is not None:
            return refused, False
        method, path = req.method, req.path
        try:
            if method == "POST" and path == "/write":
                reply, parsed = await self._v1_write(req)
                return reply, parsed and reply.status < 400
            if method == "POST" and path == "/api/v2/write":
                reply, parsed = await self._v2_write(req)
                return reply, parsed and reply.status < 400
            if method == "POST" and path == "/api/v3/write_lp":
                reply = await self._write_lp(req)
            elif method in ("GET", "POST") and path == "/query":
                reply = await _V3Query(self, req).run()
                # The 3.9 /query handler turns its errors into answers itself (Ok).
                return reply, self._v == "3.9" or reply.status < 400
            elif method == "GET" and path in ("/health", "/api/v1/health"):
                reply = self._health()
            elif method in ("GET", "POST") and path == "/ping":
                reply = self._ping()
            elif path == "/api/v3/configure/database" and method == "GET":
                reply = self._show_databases(req)
            elif path == "/api/v3/configure/database" and method == "POST":
                reply = await self._create_database(req)
            elif path == "/api/v3/configure/database" and method == "DELETE":
                reply = await self._delete_database(req)
            elif self._v == "3.9":
                return _reply(404, "Not found"), False  # RoutingError::NotFound
            else:
                return _reply(404, "not found"), True  # the catch-all arm answers Ok
        except _V3Failure as failure:
            return failure.reply, False
        return reply, reply.status < 400

    def _authenticate(self, req: _Request) -> _Reply | None:
        """http.rs authenticate_request, extract_v1_auth_token and validate_auth_header."""
        token: str | None = None
        if req.path in ("/query", "/write"):
            with contextlib.suppress(_SerdeError):
                token = _serde_fields(req.pairs, {"p": str}).get("p")
        if token is None and (header := req.header("authorization")) is not None:
            parts = header.split(" ")
            schemes = ("Bearer", "Token") if self._v == "3.0" else ("Bearer", "Token", "Basic")
            if parts[0] not in schemes or len(parts) != 2:
                return self._malformed()
            token = parts[1]
            if parts[0] == "Basic":
                try:
                    decoded = base64.b64decode(token, validate=True).decode("utf-8")
                except (binascii.Error, ValueError):
                    return self._malformed()
                user, sep, token = decoded.rpartition(":")
                if not sep or ":" in user:
                    return self._malformed()
        if token != self._token:
            body = '{"error": "the request was not authenticated"}' if self._v == "3.9" else ""
            return _reply(401, body)
        return None

    def _malformed(self) -> _Reply:
        return _reply(400, _MALFORMED_30 if self._v == "3.0" else _MALFORMED)

    def _ping(self) -> _Reply:
        """http.rs ping."""
        body: dict[str, Any] = {}
        if self._v == "3.9":
            body["product_name"] = "InfluxDB 3 Core"
        body["version"] = self._profile.version
        body["revision"] = self._profile.commit
        if self._v == "3.0":
            return _reply(200, _rust_json(body))
        body["process_id"] = self._process_id
        request_id = _uuid7()
        return _reply(200, _rust_json(body), "application/json", [
            ("Request-Id", request_id), ("X-Influxdb-Build", "Core"),
            ("X-Influxdb-Version", self._profile.version), ("X-Request-Id", request_id)])

    def _health(self) -> _Reply:
        if self._v == "3.9":
            return _reply(200, "OK", "text/plain; charset=utf-8")
        return _reply(200, "OK")

    def _read_body(self, req: _Request) -> bytes:
        """http.rs read_body: gzip or identity, at most 10 MiB either way."""
        encoding = req.header("content-encoding")
        if encoding not in (None, "identity", "gzip"):
            raise _V3Failure(_reply(400, f"unacceptable content-encoding: {encoding}"))
        too_large = _reply(500, f"max request size ({_MAX_REQUEST_BYTES} bytes) exceeded")
        if len(req.body) > _MAX_REQUEST_BYTES:
            raise _V3Failure(too_large)
        if encoding != "gzip":
            return req.body
        # flate2's GzDecoder wording, for what Python's zlib finds.
        if req.body[:3] != b"\x1f\x8b\x08":
            raise _V3Failure(_reply(500, "error decoding gzip stream: invalid gzip header"))
        try:
            data = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = data.decompress(req.body, _MAX_REQUEST_BYTES + 1)
        except zlib.error as exc:
            raise _V3Failure(_reply(500, "error decoding gzip stream: corrupt deflate stream")) \
                from exc
        if len(body) > _MAX_REQUEST_BYTES:
            raise _V3Failure(too_large)
        if not data.eof:
            raise _V3Failure(_reply(500, "error decoding gzip stream: unexpected end of file"))
        return body

    # -- writes -------------------------------------------------------------------------

    async def _v1_write(self, req: _Request) -> tuple[_Reply, bool]:
        """iox_http single_tenant parse_v1, then write_lp_inner with accept_partial=false."""
        if not req.query:
            return _json_error(400, "no db destination provided"), False
        spec = {"db": str, "precision": _V1_PRECISION_NAMES, "rp": str, "p": str}
        try:
            fields = _serde_fields(req.pairs, spec, required=("db",))
        except _SerdeError as exc:
            return _json_error(400, f"failed to deserialize db/rp/precision in request: {exc}"), \
                False
        db = str(fields["db"])
        rp = str(fields.get("rp", "")).lower()
        if rp not in ("", "''", "autogen", "default"):
            db = f"{db}/{rp}"
        precision = _V1_PRECISIONS[str(fields.get("precision", "ns"))]
        return await self._write(req, db, precision, accept_partial=False, v1=True), True

    async def _v2_write(self, req: _Request) -> tuple[_Reply, bool]:
        """iox_http single_tenant parse_v2; errors as V2WriteApiError (3.6, 3.9)."""
        spec = {"bucket": str, "precision": _V1_PRECISION_NAMES, "org": str}
        try:
            if not req.query:
                raise _SerdeError("no org/bucket destination provided")
            fields = _serde_fields(req.pairs, spec)
            if "bucket" not in fields:
                raise _SerdeError("failed to deserialize org/bucket/precision in request: "
                                  "missing field `bucket`")
            if not fields["bucket"]:
                raise _SerdeError("missing bucket value")
        except _SerdeError as exc:
            if self._v == "3.0":
                return _json_error(400, str(exc)), False
            return _v2_code("invalid", str(exc)), False
        precision = _V1_PRECISIONS[str(fields.get("precision", "ns"))]
        reply = await self._write(req, str(fields["bucket"]), precision, accept_partial=False,
                                  v1=False)
        if self._v == "3.0" or reply.status == 204:
            return reply, reply.status == 204
        return _v2_translate(reply), False

    async def _write_lp(self, req: _Request) -> _Reply:
        """http.rs write_lp."""
        if not req.query:
            return _reply(400, "missing query parameter 'db'")
        names: tuple[str, ...] = ("auto", "second", "millisecond", "microsecond", "nanosecond")
        if self._v != "3.0":
            names = ("auto", "s", "second", "millisecond", "ms", "microsecond", "u", "us", "n",
                     "nanosecond", "ns")
        spec = {"db": str, "precision": names, "accept_partial": bool, "no_sync": bool}
        try:
            fields = _serde_fields(req.pairs, spec, required=("db",))
        except _SerdeError as exc:
            return _reply(400, f"serde error: {exc}")
        precision = {"auto": "auto", "second": "s", "s": "s", "millisecond": "ms", "ms": "ms",
                     "microsecond": "u", "u": "u", "us": "u", "nanosecond": "n", "n": "n",
                     "ns": "n"}[str(fields.get("precision", "auto"))]
        return await self._write(req, str(fields["db"]), precision,
                                 accept_partial=bool(fields.get("accept_partial", True)),
                                 v1=False)

    async def _write(self, req: _Request, db: str, precision: str, *, accept_partial: bool,
                     v1: bool) -> _Reply:
        """http.rs write_lp_inner and WriteBufferImpl::write_lp."""
        message = _validate_db_name(db, self._v, accept_rp=v1 or self._v != "3.0")
        if message is not None:
            return _json_error(400, message)
        try:
            body = self._read_body(req)
        except _V3Failure as failure:
            return failure.reply
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _reply(500, f"body content is not valid utf8: {exc}")
        lines = _points(body)
        if not lines:
            # WriteValidator::initialize began the catalog transaction that makes the
            # database, and it is committed before the empty write is refused.
            self.databases.setdefault(db, None)
            return _reply(400, "incoming write was empty")
        retimed, precision = self._retime(body, precision)
        if not accept_partial:
            # v1_parse_lines_and_catalog_updates returns at the first bad line, before the
            # catalog (and a new database) is committed: nothing of the batch is written.
            verdict = await self._upstream.validate(retimed.body, precision)
            kind, influxd_message = _split_influxd_write_error(verdict)
            if kind == "other" and verdict.status == 400:
                kind = "partial"  # "field type conflict" inside the batch: a schema error
            if kind in ("parse", "partial"):
                return self._write_error(body, lines, retimed, kind, influxd_message, False)
        self.databases.setdefault(db, None)  # WriteValidator::initialize makes the database
        answer = await self._upstream.write(retimed.body, *_location(db), precision)
        kind, influxd_message = _split_influxd_write_error(answer)
        if kind == "ok":
            return _Reply(204)
        if kind == "other":
            return _reply(500, f"write buffer error: {influxd_message}")
        return self._write_error(body, lines, retimed, kind, influxd_message, accept_partial)

    def _retime(self, body: bytes, precision: str) -> tuple[_Retimed, str]:
        """The body to give influxd, and the precision to tell it.

        influxd reads explicit timestamps in the precision and gives a point without one
        the time of day truncated to it, as 3.6 and 3.9 do (Precision::to_nanos). 3.0
        does not truncate it (validator.rs apply_precision_to_timestamp and ingest_time),
        and ``auto`` guesses each timestamp's unit: then every time is given in ns.
        """
        if precision == "auto":
            return _retime(body, explicit=_guess_to_ns), "n"
        if self._v == "3.0" and precision != "n":
            multiplier = {"s": 10**9, "ms": 10**6, "u": 10**3}[precision]
            retimed = _retime(body, explicit=lambda value: value * multiplier,
                              default=time.time_ns())
            return retimed, "n"
        return _Retimed(body, {}), precision

    def _write_error(self, body: bytes, lines: list[_Line], retimed: _Retimed, kind: str,
                     influxd_message: str, accept_partial: bool) -> _Reply:
        """The answer to a batch with bad lines: http.rs IntoResponse for
        WriteBufferError::ParseError (one line, an object) or PartialLpWrite (a list)."""
        errors: list[tuple[int, str]] = []
        if kind == "parse":
            texts = [line.quoted() for line in lines]
            taken: set[int] = set()
            for quoted, reason in _parse_errors(influxd_message):
                quoted = retimed.originals.get(quoted, quoted)
                index = next((i for i, text in enumerate(texts) if i not in taken
                              and quoted in (text, text.removesuffix("\r"))), None)
                if index is not None:
                    taken.add(index)
                    errors.append((lines[index].number, reason))
        if not errors:
            # A schema conflict: influxd does not say which line; the first line stands in.
            errors = [(lines[0].number,
                       retimed.restore(influxd_message).removeprefix("partial write: "))]
        # original_line is the line_number-th line of str::lines, blank ones included.
        originals = _rust_lines(body)
        if not accept_partial:
            errors = errors[:1]
            error = "parsing failed for write_lp endpoint"
        else:
            error = "partial write of line protocol occurred"
        try:
            details = [self._line_error(number, originals[number - 1]
                                        if number <= len(originals) else "", reason)
                       for number, reason in errors]
        except _Panic:
            return _Reply(400, _rust_json({"error": error}).encode(), drop=True)
        data: Any = details if accept_partial else details[0]
        return _reply(400, _rust_json({"error": error, "data": data}))

    def _line_error(self, number: int, line: str, message: str) -> dict[str, Any]:
        """influxdb3_write WriteLineError's JSON (field order and truncation from 3.6).

        :raises _Panic: where 3.6 and later cut the line to 20 bytes inside a character
            (``&self.original_line[..TRUNCATE_LIMIT]``).
        """
        if self._v == "3.0":
            return {"original_line": line, "line_number": number, "error_message": message}
        data = line.encode()
        if len(data) > _TRUNCATE_LIMIT and data[_TRUNCATE_LIMIT] & 0xC0 == 0x80:
            raise _Panic(f"byte index {_TRUNCATE_LIMIT} is not a char boundary")
        return {"error_message": message, "line_number": number,
                "original_line": data[:_TRUNCATE_LIMIT].decode()}

    # -- /api/v3/configure/database -----------------------------------------------------

    def _show_databases(self, req: _Request) -> _Reply:
        """http.rs show_databases: ``format`` is required."""
        formats = ("parquet", "csv", "pretty", "json", "jsonl", "json_lines")
        try:
            fields = _serde_fields(req.pairs, {"format": formats, "show_deleted": bool},
                                   required=("format",))
        except _SerdeError as exc:
            return _reply(400, f"serde error: {exc}")
        fmt = fields["format"]
        names = sorted(self.databases)
        # With show_deleted, a "deleted" column (and the soft-deleted databases, which the
        # proxy forgets: it drops their data).
        rows = [{"iox::database": n} | ({"deleted": False} if fields.get("show_deleted") else {})
                for n in names]
        if fmt == "json":
            return _reply(200, _rust_json(rows), "application/json")
        if fmt in ("jsonl", "json_lines"):
            return _reply(200, "".join(_rust_json(row) + "\n" for row in rows),
                          "application/jsonl")
        if fmt == "csv":
            header = ",".join(rows[0]) if rows else "iox::database"
            lines = [",".join(str(v).lower() for v in row.values()) for row in rows]
            return _reply(200, "".join(line + "\n" for line in [header, *lines]), "text/csv")
        if fmt == "pretty":
            width = max([len("iox::database"), *map(len, names)])
            rule = "+" + "-" * (width + 2) + "+"
            table = [rule, f"| {'iox::database'.ljust(width)} |", rule,
                     *(f"| {n.ljust(width)} |" for n in names), rule]
            return _reply(200, "\n".join(table), "text/plain; charset=utf-8")
        return _reply(500, "parquet output is not emulated")

    async def _create_database(self, req: _Request) -> _Reply:
        """http.rs create_database."""
        request = self._json_body(req)
        db = request.get("db")
        if not isinstance(db, str):
            return _reply(400, "serde json error: missing field `db`")
        if self._v != "3.0":
            message = _validate_db_name(db, self._v)
            if message is not None:
                return _json_error(400, message)
        retention = None
        if self._v != "3.0" and request.get("retention_period") is not None:
            retention = _humantime_seconds(str(request["retention_period"]))
            if retention is None:
                return _reply(400, "serde json error: invalid retention_period "
                              f"{request['retention_period']!r}")
        if db in self.databases:
            return _reply(409, "attempted to create a resource that already exists")
        await self.create_database(db)
        self.databases[db] = retention
        return _Reply(200)

    async def _delete_database(self, req: _Request) -> _Reply:
        """http.rs delete_database and catalog soft_delete_database."""
        try:
            fields = _serde_fields(req.pairs, {"db": str, "hard_delete_at": str},
                                   required=("db",))
        except _SerdeError as exc:
            return _reply(400, f"serde error: {exc}")
        db = str(fields["db"])
        if db == "_internal" and self._v != "3.0":
            return _reply(500, "cannot delete internal db")
        if db not in self.databases:
            not_found = "the requested resource was not found"
            return _reply(404, f"{not_found}: {db}" if self._v == "3.9" else not_found)
        del self.databases[db]
        location = _location(db)
        shared = any(_location(name)[0] == location[0] for name in self.databases)
        await self._upstream.drop(*location, whole_database=not shared)
        return _Reply(200)

    def _json_body(self, req: _Request) -> dict[str, Any]:
        """http.rs read_body_json: an application/json Content-Type, then serde_json."""
        media = (req.header("content-type") or "").split(";")[0].strip().lower()
        if not (media == "application/json" or (media.startswith("application/")
                                                  and media.endswith("+json"))):
            raise _V3Failure(_reply(415, "unacceptable content-type, expected: "
                                    "application/json"))
        body = self._read_body(req)
        try:
            value = json.loads(body)
        except ValueError as exc:
            raise _V3Failure(_reply(400, f"serde json error: {exc}")) from exc
        if not isinstance(value, dict):
            raise _V3Failure(_reply(400, "serde json error: invalid type, expected a map"))
        return value


_TRUNCATE_LIMIT: Final = 20  # influxdb3_write WriteLineError's Serialize, from 3.6


class _Panic(Exception):
    """A panic in a 3.x handler: the connection closes without an answer."""


class _V3Failure(Exception):
    """An error answer, raised from deep inside a 3.x handler."""

    def __init__(self, reply: _Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def _json_error(status: int, message: str) -> _Reply:
    """3.x's ``{"error": ...}`` (ErrorMessage without data)."""
    return _reply(status, _rust_json({"error": message}))


def _v2_code(code: str, message: str) -> _Reply:
    """http.rs V2WriteApiError::into_response."""
    status = {"invalid": 400, "unauthorized": 401, "not found": 404, "request too large": 413,
              "internal error": 500}[code]
    return _reply(status, _rust_json({"code": code, "message": message}))


def _v2_translate(reply: _Reply) -> _Reply:
    """A write error, as /api/v2/write words it on 3.6 and 3.9 (V2WriteApiError)."""
    text = reply.body.decode("utf-8", "replace")
    try:
        message = str(json.loads(text)["error"])
    except (ValueError, KeyError, TypeError):
        message = text
    if message == "parsing failed for write_lp endpoint":
        message = "write buffer error: parsing for line protocol failed"
    if message.startswith("max request size"):
        return _v2_code("request too large", message)
    if reply.status in (400, 415):
        return _v2_code("invalid", message)
    return _v2_code("internal error", message)


# -- 3.x /query -----------------------------------------------------------------------

_INVALID_SHOW: Final = ("invalid SHOW statement, expected DATABASES, FIELD KEYS, MEASUREMENTS, "
                        "TAG KEYS, TAG VALUES, or RETENTION POLICIES following SHOW")
_NO_DATABASE: Final = ("must specify a 'db' parameter, or provide the database in the InfluxQL "
                       "query")
_EPOCHS_30: Final = ("ns", "u", "µ", "ms", "s", "m", "h")
_EPOCHS_39: Final = ("ns", "u", "µ", "ms", "s", "m", "h", "d", "w")
_DEFAULT_CHUNK_SIZE: Final = 10_000


@dataclass
class _Series:
    name: str
    tags: dict[str, str]
    columns: list[str]
    rows: list[list[Any]]  # times as ns integers
    partial: bool = False


@dataclass
class _Outcome:
    """A statement's result in 3.x: its series, or its error."""

    series: list[_Series] = field(default_factory=list)
    error: str | None = None


def _v3_kind(statement: _Statement) -> tuple[str, str | None]:
    """influxdb_influxql_parser statement(): the kind, or a parse error message."""
    tokens = statement.tokens
    words = statement.words(3)

    def at(index: int) -> int:
        return tokens[index].start if index < len(tokens) else tokens[-1].end

    first = words[0]
    if first in ("SELECT", "EXPLAIN", "DELETE"):
        return first.lower(), None
    if first == "DROP" and len(tokens) > 1:
        if words[1] != "MEASUREMENT":
            return "error", f"invalid DROP statement, expected MEASUREMENT at pos {at(1)}"
        if len(tokens) < 3 or tokens[2].kind not in ("word", "ident"):
            return "error", ("invalid DROP MEASUREMENT statement, expected identifier at pos "
                             f"{at(2)}")
        return "drop_measurement", None
    if first == "CREATE" and len(tokens) > 1:
        if words[1] != "DATABASE":
            return "error", ("Invalid CREATE statement, expected DATABASE following CREATE at "
                             f"pos {at(1)}")
        return "create_database", None
    if first == "SHOW" and len(tokens) > 1:
        if words[1] == "DATABASES":
            return "show_databases", None
        if words[1] == "MEASUREMENTS":
            return "show_measurements", None
        if words[1:3] == ["RETENTION", "POLICIES"]:
            return "show_retention_policies", None
        if words[1] == "TAG" and len(tokens) > 2:
            if words[2] in ("KEYS", "VALUES"):
                return "show_tag_" + words[2].lower(), None
            return "error", f"invalid SHOW TAG statement, expected KEYS or VALUES at pos {at(2)}"
        if words[1:3] == ["FIELD", "KEYS"]:
            return "show_field_keys", None
        return "error", f"{_INVALID_SHOW} at pos {at(1)}"
    return "error", f"invalid InfluxQL statement at pos {statement.start}"


def _statement_database(statement: _Statement) -> str | None:
    """iox_query_influxql_rewrite Rewritten::resolve_dbrp: ``db``, or ``db/rp``."""
    db, rp = _source_dbrp(statement.tokens)
    if db is None:
        return None
    return f"{db}/{rp}" if rp and rp not in ("autogen", "default") else db


class _V3Query:
    """One 3.x /query request."""

    def __init__(self, server: _V3Server, req: _Request) -> None:
        self._server = server
        self._req = req
        self._v = server._v
        self._upstream = server._upstream

    async def run(self) -> _Reply:
        if self._v == "3.9":
            try:
                return await self._run_39()
            except _V3Failure as failure:
                return failure.reply
        return await self._run_30()

    # -- 3.0 and 3.6: influxdb3_server/src/http/v1.rs -----------------------------------

    async def _run_30(self) -> _Reply:
        req, server = self._req, self._server
        spec = {"chunked": bool, "chunk_size": int, "db": str, "epoch": _EPOCHS_30,
                "pretty": bool, "q": str}
        try:
            uri = _serde_fields(req.pairs, spec)
        except _SerdeError as exc:
            return _reply(400, f"serde error: {exc}")
        accept = req.header("accept")
        if accept is None or accept in ("application/json", "*/*"):
            fmt = "json"
        elif accept in ("application/csv", "text/csv"):
            fmt = "csv"
        else:
            return _reply(500, f"invalid mime type ({accept})")
        try:
            body = server._read_body(req)
            form = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            params = uri | _serde_fields(form, spec)
        except _V3Failure as failure:
            return failure.reply
        except _SerdeError as exc:
            return _reply(400, f"serde error: {exc}")
        if "q" not in params:
            return _reply(400, "missing query parameter 'q'")
        chunk_size = max(int(params.get("chunk_size", _DEFAULT_CHUNK_SIZE)), 1) \
            if params.get("chunked") else None
        epoch = params.get("epoch") or ("ns" if fmt == "csv" and self._v == "3.6" else None)
        if fmt == "json" and params.get("pretty"):
            fmt = "pretty"

        statements = _statements(str(params["q"]))
        for statement in statements:
            kind, problem = _v3_kind(statement)
            if problem is not None:
                return _reply(500, f"error in InfluxQL statement: parsing error: {problem}")
        if len(statements) != 1:
            return _reply(500, "must provide only one InfluxQl statement per query")
        statement = statements[0]
        kind, _ = _v3_kind(statement)
        param_db = params.get("db")
        query_db = _statement_database(statement)
        if param_db is not None and query_db is not None and param_db != query_db:
            message = (f"provided a database in both the parameters ({param_db}) and query "
                       f"string ({query_db}) that do not match, if providing a query that "
                       "specifies the database, you can omit the 'database' parameter from "
                       "your request")
            return _reply(500, message)
        db = query_db if query_db is not None else param_db
        not_found = _json_error(404, f"query error: database not found: {db}")
        if kind == "show_databases":
            # The rows have no iox::measurement column: QueryResponseStream fails on the
            # first one, after the head went out (and _internal is always a row).
            return _Reply(200, headers=[("Content-Type", _V30_TYPES[fmt])], abort=True)
        if kind == "show_retention_policies":
            if db is not None and db not in server.databases:
                return not_found
            return _Reply(200, headers=[("Content-Type", _V30_TYPES[fmt])], abort=True)
        if db is None:
            return _reply(500, _NO_DATABASE)
        if db not in server.databases:
            return not_found
        if kind in ("create_database", "delete", "drop_measurement"):
            operation = {"create_database": "CREATE DATABASE", "delete": "DELETE",
                         "drop_measurement": "DROP MEASUREMENT"}[kind]
            return _reply(500, "query error: error while planning query: This feature is not "
                          f"implemented: {operation}")
        outcome = await self._influxd(statement.text, db, "")
        if outcome.error is not None:
            return _reply(500, outcome.error)
        documents = _v30_documents(outcome.series, chunk_size, self._v)
        rendered = b"".join(_v30_encode(doc, fmt, epoch) for doc in documents)
        return _reply(200, rendered, _V30_TYPES[fmt])

    async def _influxd(self, text: str, db: str, params: str) -> _Outcome:
        """Run one statement on influxd; its series, or an error worded for 3.0-3.6."""
        upstream_db, upstream_rp = _location(db)
        await self._upstream.ensure(upstream_db, upstream_rp)
        answer = await self._upstream.query(text, db=upstream_db, rp=upstream_rp,
                                            params=params, accept="application/x-msgpack")
        if answer.status == 400:
            message = answer.error().removeprefix("error parsing query: ")
            return _Outcome(error=f"error in InfluxQL statement: parsing error: {message}")
        if answer.status != 200:
            return _Outcome(error=f"query error: {answer.error()}")
        series: list[_Series] = []
        for document in _unpack_all(answer.body):
            for result in document.get("results", []) if isinstance(document, dict) else []:
                if "error" in result:
                    return _Outcome(error="query error: error while planning query: "
                                    + str(result["error"]))
                for row in result.get("series") or []:
                    columns = [str(c) for c in row.get("columns", [])]
                    values = [[_ext_time(v) for v in values] for values in row.get("values", [])]
                    series.append(_Series(str(row.get("name", "")), dict(row.get("tags") or {}),
                                          columns, values))
        return _Outcome(series)

    # -- 3.9: core/iox_v1_query_api ------------------------------------------------------

    async def _run_39(self) -> _Reply:
        params, fmt = self._extract_39()
        if params.get("q") is None:
            raise _V3Failure(_json_error(400, "expected a query to be provided in the query "
                                         "string or body"))
        statement_params = ""
        if (raw := params.get("params")) is not None:
            try:
                json.loads(raw)
            except ValueError as exc:
                raise _V3Failure(_json_error(400, f"error decoding query body: {exc}")) from exc
            statement_params = str(raw)
        chunk_size = max(int(params.get("chunk_size", _DEFAULT_CHUNK_SIZE)), 1) \
            if params.get("chunked") else None
        db_param = params.get("db") or None
        epoch = params.get("epoch")

        statements = _statements(str(params["q"]))
        outcomes: list[_Outcome] = []
        problem = next((p for p in (_v3_kind(s)[1] for s in statements) if p), None)
        if problem is not None:
            outcomes = [_Outcome(error=f"error in InfluxQL statement: parsing error: {problem}")]
        else:
            for statement in statements:
                outcomes.append(await self._statement_39(statement, db_param, statement_params))
        body = _v39_encode(outcomes, fmt, chunk_size, epoch)
        return _reply(200, body, _V39_TYPES[fmt])

    def _extract_39(self) -> tuple[dict[str, Any], str]:
        """v1api/handler.rs extract_request and lib.rs QueryFormat::from_bytes."""
        req = self._req
        spec = {"chunked": bool, "chunk_size": int, "db": str, "rp": str, "epoch": _EPOCHS_39,
                "pretty": bool, "q": str, "params": str}

        def from_url() -> dict[str, Any]:
            if not req.query:
                raise _V3Failure(_json_error(400, "missing query parameters 'db' and 'q'"))
            try:
                return _serde_fields(req.pairs, spec)
            except _SerdeError as exc:
                raise _V3Failure(_json_error(400, f"error decoding params from url: {exc}")) \
                    from exc

        if req.method == "GET":
            params = from_url()
        else:
            content_type = req.header("content-type")
            media = (content_type or "").split(";")[0].strip().lower()
            if content_type is None or media == "application/vnd.influxql":
                params = from_url()
                if not params.get("q"):
                    params["q"] = req.body.decode("utf-8", "replace")
            elif media == "application/x-www-form-urlencoded":
                # form_urlencoded_inner: errors in the URL's parameters are swallowed.
                try:
                    url_params = _serde_fields(req.pairs, spec) if req.query else {}
                except _SerdeError:
                    url_params = {}
                form = urllib.parse.parse_qsl(req.body.decode("utf-8", "replace"),
                                              keep_blank_values=True)
                try:
                    params = url_params | _serde_fields(form, spec)
                except _SerdeError as exc:
                    raise _V3Failure(_json_error(400, f"error decoding params from url: {exc}")) \
                        from exc
            else:
                raise _V3Failure(_json_error(400, f"invalid mime type ({content_type.lower()})"))
        accept = req.header("accept")
        if accept in ("application/csv", "text/csv"):
            fmt = "csv"
        elif accept == "application/x-msgpack":
            fmt = "msgpack"
        elif accept in (None, "application/json", "*/*"):
            fmt = "pretty" if params.get("pretty") else "json"
        else:
            raise _V3Failure(_json_error(400, f"invalid mime type ({accept})"))
        return params, fmt

    async def _statement_39(self, statement: _Statement, db_param: str | None,
                            params: str) -> _Outcome:
        kind, _ = _v3_kind(statement)
        databases = self._server.databases
        query_db = _statement_database(statement)
        db = query_db if query_db is not None else db_param
        if kind == "show_databases":
            return _Outcome([_Series("databases", {}, ["name"], [[name] for name in databases])])
        if kind == "show_retention_policies":
            if db is None:
                return _Outcome(error=_NO_DATABASE)
            if db not in databases:
                return _Outcome(error=f"datafusion error: Error during planning: database not "
                                f"found: {db}")
            return _Outcome([_Series("retention_policies", {}, ["name", "duration", "default"],
                                     [[db, _format_v1(databases[db]), True]])])
        if db is None:
            return _Outcome(error=_NO_DATABASE)
        if db not in databases:
            return _Outcome(error="Cannot retrieve database: External error: database not "
                            f"found: {db}")
        if kind in ("create_database", "delete", "drop_measurement"):
            operation = {"create_database": "CREATE DATABASE", "delete": "DELETE",
                         "drop_measurement": "DROP MEASUREMENT"}[kind]
            return _Outcome(error="datafusion error: This feature is not implemented: "
                            + operation)
        outcome = await self._influxd(statement.text, db, params)
        if outcome.error is not None:
            message = outcome.error.replace("query error: error while planning query: ",
                                            "datafusion error: Error during planning: ")
            return _Outcome(error=message)
        return outcome


_HUMANTIME_UNITS: Final[Mapping[str, float]] = {
    "ns": 1e-9, "nsec": 1e-9, "us": 1e-6, "usec": 1e-6, "ms": 1e-3, "msec": 1e-3,
    "s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "minute": 60,
    "minutes": 60, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600, "d": 86400,
    "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800,
    "M": 2630016, "month": 2630016, "months": 2630016, "y": 31557600, "year": 31557600,
    "years": 31557600}


def _humantime_seconds(text: str) -> int | None:
    """humantime's duration syntax (``"7d"``, ``"1h 30m"``), in whole seconds."""
    parts = re.findall(r"\s*(\d+)\s*([A-Za-z]+)", text)
    if not parts or "".join(n + u for n, u in parts) != re.sub(r"\s+", "", text):
        return None
    if any(unit not in _HUMANTIME_UNITS for _, unit in parts):
        return None
    return int(sum(int(number) * _HUMANTIME_UNITS[unit] for number, unit in parts))


def _format_v1(seconds: int | None) -> str:
    """influxdb3_catalog RetentionPeriod::format_v1."""
    if not seconds:
        return "0s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


_V30_TYPES: Final[Mapping[str, str]] = {"json": "application/json", "pretty": "application/json",
                                        "csv": "application/csv"}
_V39_TYPES: Final[Mapping[str, str]] = {"json": "application/json", "pretty": "application/json",
                                        "csv": "application/csv",
                                        "msgpack": "application/x-msgpack"}


def _v30_documents(series: list[_Series], chunk_size: int | None,
                   version: str) -> list[list[_Series]]:
    """v1.rs QueryResponseStream and ChunkBuffer: the series of each document sent."""
    for item in series:
        if version == "3.0":  # a NULL group-by tag was left out of the map before 3.6
            item.tags = {k: v for k, v in item.tags.items() if v != ""}
    if chunk_size is None:
        # Series are pushed to the front of a VecDeque and drained from the front.
        return [list(reversed(series))]
    documents = [[_Series(s.name, s.tags, s.columns, s.rows[i:i + chunk_size])]
                 for s in series for i in range(0, len(s.rows), chunk_size)]
    return documents or [[]]


def _v30_encode(series: list[_Series], fmt: str, epoch: str | None) -> bytes:
    """v1.rs ``From<QueryResponse> for Bytes``: JSON, pretty JSON or CSV, then \\r\\n."""
    if fmt == "csv":
        columns = series[0].columns if series else []
        lines = [",".join(["name", "tags", *columns])]
        for item in series:
            for row in item.rows:
                cells = [item.name, ""]
                for column, raw in zip(item.columns, row, strict=False):
                    value = _v30_value(column, raw, epoch)
                    cells.append(value if isinstance(value, str) else _rust_json(value))
                lines.append(",".join(cells))
        return ("\n".join(lines) + "\n\r\n").encode()
    result: dict[str, Any] = {"statement_id": 0}
    if series:
        result["series"] = []
        for item in series:
            entry: dict[str, Any] = {"name": item.name}
            if item.tags:
                entry["tags"] = dict(sorted(item.tags.items()))
            entry["columns"] = item.columns
            entry["values"] = [[_v30_value(c, v, epoch) for c, v in zip(item.columns, row,
                                                                          strict=False)]
                               for row in item.rows]
            result["series"].append(entry)
    return _rust_json({"results": [result]}, pretty=fmt == "pretty").encode() + b"\r\n"


def _v30_value(column: str, value: Any, epoch: str | None) -> Any:
    if column != "time" or not isinstance(value, int) or isinstance(value, bool):
        return value
    if epoch is None:
        return _rfc3339(value)
    divisor = {"ns": 1, "u": 1000, "µ": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
               "h": 3600 * 10**9}[epoch]
    return _trunc_div(value, divisor)


def _v39_value(column: str, value: Any, epoch: str | None) -> Any:
    """v1api/value.rs ValueSerializer."""
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value.is_integer() and abs(value) < 2.0**63:
            return int(value)
        return value
    if column != "time" or not isinstance(value, int) or isinstance(value, bool):
        return value
    if epoch is None:
        return _rfc3339(value)
    if epoch == "ns":
        return value
    if epoch in ("u", "µ"):
        return value // 1000
    if epoch == "ms":
        return value // 10**6
    seconds = value // 10**9
    return _trunc_div(seconds, {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[epoch])


def _v39_encode(outcomes: list[_Outcome], fmt: str, chunk_size: int | None,
                epoch: str | None) -> bytes:
    """v1api/response: buffered or chunked, as JSON, pretty JSON, MessagePack or CSV."""
    if fmt == "csv":
        return _v39_csv(outcomes, epoch)
    documents: list[list[dict[str, Any]]] = []
    if chunk_size is None:
        if outcomes:
            documents.append([_v39_result(i, o.series, o.error, False, epoch)
                              for i, o in enumerate(outcomes)])
    else:
        for index, outcome in enumerate(outcomes):
            if outcome.error is not None:
                documents.append([_v39_result(index, [], outcome.error, False, epoch)])
                continue
            pieces = []
            for series in outcome.series:
                starts = list(range(0, len(series.rows), chunk_size))
                # SeriesChunkMergeStream splits only what is longer than a chunk.
                for number, start in enumerate(starts):
                    pieces.append(_Series(series.name, series.tags, series.columns,
                                          series.rows[start:start + chunk_size],
                                          partial=number < len(starts) - 1))
            for number, piece in enumerate(pieces):
                documents.append([_v39_result(index, [piece], None,
                                              number < len(pieces) - 1, epoch)])
    if fmt == "msgpack":
        return b"".join(_pack([[_v39_positional(r) for r in doc]], go=False)
                        for doc in documents)
    return b"".join(_rust_json({"results": doc}, pretty=fmt == "pretty", zmij=True).encode()
                    for doc in documents)


def _v39_result(index: int, series: list[_Series], error: str | None, partial: bool,
                epoch: str | None) -> dict[str, Any]:
    """v1api/response.rs StatementResultSerializer and SeriesChunkSerializer."""
    result: dict[str, Any] = {"statement_id": index}
    if series:
        result["series"] = []
        for item in series:
            value: dict[str, Any] = {}
            if item.name:
                value["name"] = item.name
            if item.tags:
                value["tags"] = dict(sorted(item.tags.items()))
            if item.columns:
                value["columns"] = item.columns
            if item.rows:
                value["values"] = [[_v39_value(c, v, epoch) for c, v in zip(item.columns, row,
                                                                              strict=False)]
                                   for row in item.rows]
            if item.partial:
                value["partial"] = True
            result["series"].append(value)
    if partial:
        result["partial"] = True
    if error is not None:
        result["error"] = error
    return result


def _v39_positional(result: dict[str, Any]) -> list[Any]:
    """rmp_serde's default: a struct is an array of the fields it serialises."""
    fields: list[Any] = [result["statement_id"]]
    if "series" in result:
        fields.append([[value for key, value in s.items()] for s in result["series"]])
    fields.extend(result[key] for key in ("partial", "error") if key in result)
    return fields


def _v39_csv(outcomes: list[_Outcome], epoch: str | None) -> bytes:
    """v1api/response/csv.rs CsvStream: errors left out, a header per statement."""
    out: list[str] = []
    for index, outcome in enumerate(outcomes):
        first = True
        for series in outcome.series:
            if not series.rows:
                continue
            if first:
                if index != 0:
                    out.append("\n")
                out.append(",".join(["name", "tags", *series.columns]) + "\n")
                first = False
            tags = _csv_escape(",".join(f"{k}={v}" for k, v in sorted(series.tags.items())))
            name = _csv_escape(series.name)
            for row in series.rows:
                cells = [name, tags]
                for column, value in zip(series.columns, row, strict=False):
                    if column == "time" and isinstance(value, int) and not isinstance(value,
                                                                                      bool):
                        cells.append(str(_v39_value(column, value, epoch or "ns")))
                    else:
                        cells.append(_csv_escape(_csv_value(value)))
                out.append(",".join(cells) + "\n")
    return "".join(out).encode()


def _csv_escape(text: str) -> str:
    if "," in text or '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return text


# -- encodings ------------------------------------------------------------------------


def _go_json(value: Any, *, indent: str | None = None) -> bytes:
    """encoding/json: Marshal (compact) or MarshalIndent, HTML characters escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=indent,
                      separators=(",", ":") if indent is None else (",", ": "))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text.encode()


def _rust_json(value: Any, *, pretty: bool = False, zmij: bool = False) -> str:
    """serde_json: to_string, or to_string_pretty (two spaces).

    Floats as serde_json writes an f64: with ryu (serde_json up to 1.0.145: 3.0 and 3.6)
    or, with *zmij*, with zmij (1.0.149: 3.9); non-finite ones as null.
    """
    if pretty:
        text = json.dumps(value, ensure_ascii=False, indent=2, separators=(",", ": "))
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def rewrite(match: re.Match[str]) -> str:
        token = match.group(1)
        if token is None:  # a string
            return match.group(0)
        number = float(token)
        return _rust_float(number, zmij=zmij) if math.isfinite(number) else "null"

    # Python writes floats as ryu and zmij do, but for exponents and NaN.
    if not _JSON_FLOAT_HINT.search(text):
        return text
    return _JSON_FLOAT_TOKEN.sub(rewrite, text)


_JSON_FLOAT_HINT: Final = re.compile(r"[0-9]e[-+]|NaN|Infinity")
_JSON_FLOAT_TOKEN: Final = re.compile(
    r'"(?:[^"\\]|\\.)*"|(-?[0-9]+(?:\.[0-9]+)?e[-+][0-9]+|-?Infinity|NaN)')


def _rust_float(value: float, *, zmij: bool = False) -> str:
    """A finite f64 as ryu's format64 or zmij's write put it.

    Both write the shortest digits that read back as *value* (as Python's repr does) and
    choose the same notation: plain from 1e-5 up to below 1e16, with ``.0`` on whole
    numbers, else scientific, ``1e16``, ``1.5e-7``. They differ in the exponent's
    sign: zmij writes ``1e+16``. Python's repr would write ``1e+16``, ``1e-05`` and
    ``1.5e-07``.
    """
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0.0"
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    point = len(digit_tuple) + int(exponent)  # value = 0.digits * 10**point
    length = len(digits)
    if length <= point <= 16:
        return f"{sign}{digits}{'0' * (point - length)}.0"
    if 0 < point <= 16:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    if -5 < point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    mantissa = digits[0] + ("." + digits[1:] if length > 1 else "")
    power = point - 1
    return f"{sign}{mantissa}e{'+' if zmij and power >= 0 else ''}{power}"


def _trunc_div(value: int, divisor: int) -> int:
    """Integer division rounding toward zero, as Go's and Rust's ``/``."""
    quotient = abs(value) // divisor
    return quotient if value >= 0 else -quotient


_EPOCH: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _rfc3339(ns: int) -> str:
    """chrono to_rfc3339_opts(SecondsFormat::AutoSi, true): 0, 3, 6 or 9 digits, and Z."""
    seconds, fraction = divmod(ns, 10**9)
    moment = _EPOCH + datetime.timedelta(seconds=seconds)
    text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}")
    if fraction == 0:
        return text + "Z"
    if fraction % 10**6 == 0:
        return f"{text}.{fraction // 10**6:03d}Z"
    if fraction % 1000 == 0:
        return f"{text}.{fraction // 1000:06d}Z"
    return f"{text}.{fraction:09d}Z"


class _Ext(NamedTuple):
    """A MessagePack extension value."""

    code: int
    data: bytes


class _UInt(int):
    """An integer MessagePack sent (or is to send) as unsigned."""


def _ext_time(value: Any) -> Any:
    """msgp's time extension (type 5: seconds int64, nanoseconds int32) as ns."""
    if isinstance(value, _Ext) and value.code == 5 and len(value.data) == 12:
        seconds, nanos = struct.unpack(">qi", value.data)
        return seconds * 10**9 + nanos
    return value


def _unpack_all(data: bytes) -> list[Any]:
    """Every MessagePack document in *data*, one after the other."""
    documents = []
    offset = 0
    while offset < len(data):
        value, offset = _unpack_at(data, offset)
        documents.append(value)
    return documents


def _unpack_at(data: bytes, i: int) -> tuple[Any, int]:
    """Decode the value at *i*; return it and the offset after it."""
    b = data[i]
    i += 1
    if b <= 0x7F:
        return b, i
    if b >= 0xE0:
        return b - 0x100, i
    if 0x80 <= b <= 0x8F:
        return _unpack_map(data, i, b & 0x0F)
    if 0x90 <= b <= 0x9F:
        return _unpack_array(data, i, b & 0x0F)
    if 0xA0 <= b <= 0xBF:
        size = b & 0x1F
        return data[i:i + size].decode("utf-8", "surrogateescape"), i + size
    if b == 0xC0:
        return None, i
    if b in (0xC2, 0xC3):
        return b == 0xC3, i
    if b in (0xC4, 0xC5, 0xC6, 0xD9, 0xDA, 0xDB):  # bin and str 8/16/32
        width = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4}[b]
        size = int.from_bytes(data[i:i + width], "big")
        i += width
        raw = data[i:i + size]
        return (raw if b < 0xD9 else raw.decode("utf-8", "surrogateescape")), i + size
    if b in (0xC7, 0xC8, 0xC9):  # ext 8/16/32
        width = {0xC7: 1, 0xC8: 2, 0xC9: 4}[b]
        size = int.from_bytes(data[i:i + width], "big")
        i += width
        code = struct.unpack(">b", data[i:i + 1])[0]
        return _Ext(code, data[i + 1:i + 1 + size]), i + 1 + size
    if b in (0xD4, 0xD5, 0xD6, 0xD7, 0xD8):  # fixext 1..16
        size = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}[b]
        code = struct.unpack(">b", data[i:i + 1])[0]
        return _Ext(code, data[i + 1:i + 1 + size]), i + 1 + size
    if b == 0xCA:
        return struct.unpack(">f", data[i:i + 4])[0], i + 4
    if b == 0xCB:
        return struct.unpack(">d", data[i:i + 8])[0], i + 8
    if 0xCC <= b <= 0xCF:
        width = 1 << (b - 0xCC)
        return _UInt(int.from_bytes(data[i:i + width], "big")), i + width
    if 0xD0 <= b <= 0xD3:
        width = 1 << (b - 0xD0)
        return int.from_bytes(data[i:i + width], "big", signed=True), i + width
    if b in (0xDC, 0xDD):
        width = 2 if b == 0xDC else 4
        return _unpack_array(data, i + width, int.from_bytes(data[i:i + width], "big"))
    if b in (0xDE, 0xDF):
        width = 2 if b == 0xDE else 4
        return _unpack_map(data, i + width, int.from_bytes(data[i:i + width], "big"))
    raise ValueError(f"not MessagePack: byte 0x{b:02x} at {i - 1}")


def _unpack_array(data: bytes, i: int, count: int) -> tuple[list[Any], int]:
    items = []
    for _ in range(count):
        item, i = _unpack_at(data, i)
        items.append(item)
    return items, i


def _unpack_map(data: bytes, i: int, count: int) -> tuple[dict[Any, Any], int]:
    items: dict[Any, Any] = {}
    for _ in range(count):
        key, i = _unpack_at(data, i)
        items[key], i = _unpack_at(data, i)
    return items, i


def _pack(value: Any, *, go: bool) -> bytes:
    """MessagePack, the way tinylib/msgp (*go*) or rmp_serde writes each value."""
    out = bytearray()
    _pack_into(out, value, go)
    return bytes(out)


def _pack_into(out: bytearray, value: Any, go: bool) -> None:
    if value is None:
        out.append(0xC0)
    elif value is True or value is False:
        out.append(0xC3 if value else 0xC2)
    elif isinstance(value, _UInt) or (isinstance(value, int) and not go and value >= 0):
        _pack_uint(out, int(value))
    elif isinstance(value, int):
        _pack_int(out, value, go)
    elif isinstance(value, float):
        out.append(0xCB)
        out += struct.pack(">d", value)
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogateescape")
        _pack_header(out, len(data), 0xA0, 31, (0xD9, 0xDA, 0xDB))
        out += data
    elif isinstance(value, bytes):
        _pack_header(out, len(value), None, 0, (0xC4, 0xC5, 0xC6))
        out += value
    elif isinstance(value, _Ext):
        sizes = {1: 0xD4, 2: 0xD5, 4: 0xD6, 8: 0xD7, 16: 0xD8}
        if len(value.data) in sizes:
            out.append(sizes[len(value.data)])
        else:
            _pack_header(out, len(value.data), None, 0, (0xC7, 0xC8, 0xC9))
        out += struct.pack(">b", value.code) + value.data
    elif isinstance(value, (list, tuple)):
        _pack_header(out, len(value), 0x90, 15, (None, 0xDC, 0xDD))
        for item in value:
            _pack_into(out, item, go)
    elif isinstance(value, dict):
        _pack_header(out, len(value), 0x80, 15, (None, 0xDE, 0xDF))
        for key, item in value.items():
            _pack_into(out, key, go)
            _pack_into(out, item, go)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as MessagePack")


def _pack_header(out: bytearray, size: int, fix: int | None, fix_max: int,
                 markers: tuple[int | None, int | None, int | None]) -> None:
    if fix is not None and size <= fix_max:
        out.append(fix | size)
    elif markers[0] is not None and size < 1 << 8:
        out += bytes((markers[0], size))
    elif markers[1] is not None and size < 1 << 16:
        out.append(markers[1])
        out += size.to_bytes(2, "big")
    else:
        out.append(markers[2] or 0)
        out += size.to_bytes(4, "big")


def _pack_uint(out: bytearray, value: int) -> None:
    if value < 0x80:
        out.append(value)
    else:
        for marker, width in ((0xCC, 1), (0xCD, 2), (0xCE, 4), (0xCF, 8)):
            if value < 1 << (8 * width):
                out.append(marker)
                out += value.to_bytes(width, "big")
                return


def _pack_int(out: bytearray, value: int, go: bool) -> None:
    """Go's msgp WriteInt64 uses signed forms throughout; rmp's write_sint the smallest."""
    if 0 <= value < 0x80 or -32 <= value < 0:
        out += struct.pack(">b", value) if value < 0 else bytes((value,))
        return
    for marker, width in ((0xD0, 1), (0xD1, 2), (0xD2, 4), (0xD3, 8)):
        if -(1 << (8 * width - 1)) <= value < 1 << (8 * width - 1):
            out.append(marker)
            out += value.to_bytes(width, "big", signed=True)
            return


def _walk_strings(value: Any, change: Callable[[str], str]) -> Any:
    """*value* with *change* applied to every string in it (keys included)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_walk_strings(item, change) for item in value]
    if isinstance(value, dict):
        return {_walk_strings(k, change): _walk_strings(v, change) for k, v in value.items()}
    return value
