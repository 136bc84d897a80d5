using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Latchkey.Server.SimpleSso;

/// <summary>
/// An EF compiled query, compiled once per model. EF binds a compiled query to the first model it runs
/// against and throws for any other, but one process may hold several (the SQLite and PostgreSQL contexts
/// side by side in tests), so each model gets its own compilation. Used by the per-request queries of
/// the simple-sso flow, where EF's query-cache lookup (parameter extraction, expression hashing) cost more
/// than running the query.
/// </summary>
internal sealed class PerModelCompiledQuery<TDelegate>(Func<TDelegate> compile)
    where TDelegate : class
{
    private readonly ConditionalWeakTable<IModel, TDelegate> _compiled = new();

    public TDelegate For(DbContext context)
    {
        var model = context.Model;
        return _compiled.TryGetValue(model, out var query) ? query : _compiled.GetValue(model, _ => compile());
    }
}
