using Latchkey.EndToEnd.Tests.Infrastructure;

// One deployment per storage provider (server + two sample sites) for the whole assembly: starting
// processes is the slow part. The PostgreSQL one starts nothing unless LATCHKEY_TEST_POSTGRES is set.
[assembly: AssemblyFixture(typeof(LatchkeyDeployment))]
[assembly: AssemblyFixture(typeof(PostgreSqlLatchkeyDeployment))]
