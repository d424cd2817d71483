using System.Text;
using Webhooks.Dispatcher.Sending;

namespace Webhooks.Tests.Delivery;

public sealed class ResponseBodyTests
{
    [Fact]
    public async Task An_endless_body_is_read_only_up_to_the_limit()
    {
        var endless = new EndlessStream();

        var text = await ResponseBody.ReadAsync(endless, 10240, TestContext.Current.CancellationToken);

        Assert.Equal(10240, text.Length);
        Assert.Equal(10240, endless.BytesRead);
    }

    [Fact]
    public async Task A_short_body_is_kept_whole()
    {
        var text = await ResponseBody.ReadAsync(new MemoryStream("{\"ok\":true}"u8.ToArray()), 10240, TestContext.Current.CancellationToken);

        Assert.Equal("{\"ok\":true}", text);
    }

    [Fact]
    public async Task A_zero_limit_reads_nothing()
    {
        var endless = new EndlessStream();

        Assert.Equal("", await ResponseBody.ReadAsync(endless, 0, TestContext.Current.CancellationToken));
        Assert.Equal(0, endless.BytesRead);
    }

    [Fact]
    public async Task A_character_cut_at_the_limit_and_nul_bytes_become_replacement_characters()
    {
        var bytes = Encoding.UTF8.GetBytes("ab\0€"); // € is three bytes; the limit cuts it after one
        var text = await ResponseBody.ReadAsync(new MemoryStream(bytes), 4, TestContext.Current.CancellationToken);

        Assert.Equal("ab\uFFFD\uFFFD", text);
    }

    /// <summary>A body that never ends, handing out at most 1000 bytes per read like a network stream.</summary>
    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(count, 1000);
            buffer.AsSpan(offset, n).Fill((byte)'x');
            BytesRead += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
