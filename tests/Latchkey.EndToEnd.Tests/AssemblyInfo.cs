using Latchkey.EndToEnd.Tests.Infrastructure;

// One deployment (server + two sample sites) for the whole assembly: starting processes is the slow part.
[assembly: AssemblyFixture(typeof(LatchkeyDeployment))]
