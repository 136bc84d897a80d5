namespace Latchkey.Server.Audit;

/// <summary>
/// The actor for audit records made outside a request when the caller names none: the CLI sets
/// <see cref="AuditActors.Cli"/> around each command, so an operator's <c>consumers add</c> is not
/// recorded as the server's own (<see cref="AuditActors.System"/>) work.
/// </summary>
public static class AuditAmbientActor
{
    private static readonly AsyncLocal<string?> Current = new();

    public static string? Name => Current.Value;

    /// <summary>Sets the ambient actor until the returned scope is disposed.</summary>
    public static IDisposable Use(string actorName)
    {
        var previous = Current.Value;
        Current.Value = actorName;
        return new Restore(previous);
    }

    private sealed class Restore(string? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}
