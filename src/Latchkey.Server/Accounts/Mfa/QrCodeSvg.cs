using QRCoder;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>
/// QR codes as inline SVG markup: the CSP (<c>default-src 'self'</c>) forbids <c>data:</c> images, while inline markup needs no source.
/// </summary>
public static class QrCodeSvg
{
    public static string Render(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        var svg = new SvgQRCode(data).GetGraphic(4);
        // Drop any XML prolog: the markup is embedded in HTML.
        var start = svg.IndexOf("<svg", StringComparison.Ordinal);
        return start > 0 ? svg[start..] : svg;
    }
}
