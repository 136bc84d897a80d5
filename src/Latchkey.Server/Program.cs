return await Latchkey.Server.Cli.LatchkeyCli.RunAsync(args);

/// <summary>Entry point; public so that WebApplicationFactory&lt;Program&gt; can reach it.</summary>
public partial class Program;
