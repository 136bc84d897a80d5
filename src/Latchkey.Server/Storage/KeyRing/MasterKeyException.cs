namespace Latchkey.Server.Storage.KeyRing;

/// <summary>The master key is misconfigured or its file cannot be used; the message names what to fix and never holds key material.</summary>
public sealed class MasterKeyException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>
/// The key ring in the database was encrypted with a master key this node does not have. Not a
/// <see cref="System.Security.Cryptography.CryptographicException"/> on purpose: callers that treat those as
/// "this payload is bad" must not turn a wrong deployment into silently rejected keys.
/// </summary>
public sealed class UnknownMasterKeyException(string message) : InvalidOperationException(message);
