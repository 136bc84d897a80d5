using System.Diagnostics.CodeAnalysis;

namespace Latchkey.SimpleSso;

/// <summary>Either a value or a <see cref="SimpleSsoError"/>; protocol code returns these instead of throwing.</summary>
/// <typeparam name="T">The success value.</typeparam>
public readonly struct SimpleSsoResult<T>
{
    private SimpleSsoResult(T? value, SimpleSsoError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The value; set when <see cref="IsSuccess"/> is true.</summary>
    public T? Value { get; }

    /// <summary>The failure; set when <see cref="IsSuccess"/> is false.</summary>
    public SimpleSsoError? Error { get; }

    /// <summary>Whether this result holds a value.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>A successful result.</summary>
    public static SimpleSsoResult<T> Success(T value) => new(value, null);

    /// <summary>A failed result.</summary>
    public static SimpleSsoResult<T> Failure(SimpleSsoError error) => new(default, error);

    /// <summary>Converts a value into a successful result.</summary>
    public static implicit operator SimpleSsoResult<T>(T value) => Success(value);

    /// <summary>Converts an error into a failed result.</summary>
    public static implicit operator SimpleSsoResult<T>(SimpleSsoError error) => Failure(error);
}
