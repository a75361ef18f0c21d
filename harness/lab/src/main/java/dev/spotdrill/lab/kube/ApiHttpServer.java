package dev.spotdrill.lab.kube;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/1.1 server for the lab's Kubernetes API: keep-alive, Content-Length and chunked request bodies,
 * {@code Expect: 100-continue}, whole responses and chunked streams (watches), and TCP_NODELAY on every
 * connection. (The JDK's own server leaves Nagle's algorithm on unless a JVM-wide property is set before its first
 * use, which makes each watch event wait on the client's delayed ACK.) One thread per connection.
 */
final class ApiHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHttpServer.class);
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final int MAX_BODY_BYTES = 64 * 1024 * 1024;
    private static final int IDLE_MILLIS = 120_000;

    /** Answers one request. */
    interface Handler {
        void handle(Exchange exchange) throws IOException;
    }

    private final ServerSocket socket;
    private final ExecutorService pool;
    private final Handler handler;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    ApiHttpServer(InetAddress address, int port, ExecutorService pool, Handler handler) throws IOException {
        this.pool = pool;
        this.handler = handler;
        this.socket = new ServerSocket();
        socket.setReuseAddress(true);
        try {
            socket.bind(new InetSocketAddress(address, port), 128);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        pool.execute(this::accept);
    }

    int port() {
        return socket.getLocalPort();
    }

    private void accept() {
        while (!closed) {
            Socket s;
            try {
                s = socket.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("lab kube API: accept failed: {}", e.toString());
                }
                return;
            }
            connections.add(s);
            try {
                pool.execute(() -> serve(s));
            } catch (RejectedExecutionException e) {
                closeQuietly(s);
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(IDLE_MILLIS);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = new BufferedOutputStream(s.getOutputStream());
            while (!closed) {
                Exchange ex = read(in, out);
                if (ex == null) {
                    return;
                }
                try {
                    handler.handle(ex);
                } finally {
                    ex.finish();
                }
                if (ex.closeAfter) {
                    return;
                }
            }
        } catch (SocketTimeoutException | EOFException e) {
            // idle keep-alive connection, or the client went away
        } catch (SocketException e) {
            LOG.trace("lab kube API connection ended: {}", e.toString());
        } catch (IOException e) {
            LOG.debug("lab kube API connection failed: {}", e.toString());
        } finally {
            connections.remove(s);
        }
    }

    private static Exchange read(InputStream in, OutputStream out) throws IOException {
        String requestLine = line(in);
        while (requestLine != null && requestLine.isEmpty()) {
            requestLine = line(in);
        }
        if (requestLine == null) {
            return null;
        }
        String[] parts = requestLine.split(" ");
        if (parts.length != 3) {
            throw new IOException("bad request line: " + requestLine);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        int size = 0;
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            size += h.length();
            if (size > MAX_HEADER_BYTES) {
                throw new IOException("request headers larger than " + MAX_HEADER_BYTES + " bytes");
            }
            int colon = h.indexOf(':');
            if (colon > 0) {
                headers.merge(
                        h.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        h.substring(colon + 1).trim(),
                        (a, b) -> a + ", " + b);
            }
        }
        if ("100-continue".equalsIgnoreCase(headers.get("expect"))) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        byte[] body;
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = chunked(in);
        } else if (headers.containsKey("content-length")) {
            int n = Integer.parseInt(headers.get("content-length"));
            if (n > MAX_BODY_BYTES) {
                throw new IOException("request body larger than " + MAX_BODY_BYTES + " bytes");
            }
            body = in.readNBytes(n);
            if (body.length < n) {
                throw new EOFException();
            }
        } else {
            body = new byte[0];
        }
        boolean http10 = parts[2].equals("HTTP/1.0");
        String connection = headers.getOrDefault("connection", "");
        boolean close = http10 ? !connection.equalsIgnoreCase("keep-alive") : connection.equalsIgnoreCase("close");
        return new Exchange(parts[0], parts[1], headers, body, out, close);
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = line(in);
            if (sizeLine == null) {
                throw new EOFException();
            }
            int semi = sizeLine.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            if (n == 0) {
                for (String t = line(in); t != null && !t.isEmpty(); t = line(in)) {
                    // trailers are ignored
                }
                return b.toByteArray();
            }
            if (b.size() + n > MAX_BODY_BYTES) {
                throw new IOException("request body larger than " + MAX_BODY_BYTES + " bytes");
            }
            b.write(in.readNBytes(n));
            line(in);
        }
    }

    /** A line without its CRLF; null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            b.write(c);
            if (b.size() > MAX_HEADER_BYTES) {
                throw new IOException("request line longer than " + MAX_HEADER_BYTES + " bytes");
            }
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(socket);
        for (Socket s : connections) {
            closeQuietly(s);
        }
        connections.clear();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing anyway
        }
    }

    /** One request and its response: either a whole body, or a chunked stream. */
    static final class Exchange {
        private final String method;
        private final String rawPath;
        private final String rawQuery;
        private final Map<String, String> headers;
        private final byte[] body;
        private final OutputStream out;
        private final Map<String, String> responseHeaders = new LinkedHashMap<>();
        private boolean closeAfter;
        private boolean responded;
        private ChunkedStream stream;

        private Exchange(
                String method,
                String target,
                Map<String, String> headers,
                byte[] body,
                OutputStream out,
                boolean close) {
            this.method = method.toUpperCase(Locale.ROOT);
            int q = target.indexOf('?');
            this.rawPath = q < 0 ? target : target.substring(0, q);
            this.rawQuery = q < 0 ? null : target.substring(q + 1);
            this.headers = headers;
            this.body = body;
            this.out = out;
            this.closeAfter = close;
        }

        String method() {
            return method;
        }

        String rawPath() {
            return rawPath;
        }

        String rawQuery() {
            return rawQuery;
        }

        /** A request header (case-insensitive), or null. */
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        byte[] body() {
            return body;
        }

        void setHeader(String name, String value) {
            responseHeaders.put(name, value);
        }

        /** Sends a whole response. */
        void respond(int status, String contentType, byte[] content) throws IOException {
            if (responded) {
                throw new IllegalStateException("response already sent");
            }
            responded = true;
            if (contentType != null) {
                responseHeaders.put("Content-Type", contentType);
            }
            responseHeaders.put("Content-Length", Integer.toString(content.length));
            writeHead(status);
            if (!method.equals("HEAD")) {
                out.write(content);
            }
            out.flush();
        }

        /** Starts a chunked response; each {@code flush()} of the stream sends what was written as one chunk. */
        OutputStream stream(int status, String contentType) throws IOException {
            if (responded) {
                throw new IllegalStateException("response already sent");
            }
            responded = true;
            responseHeaders.put("Content-Type", contentType);
            responseHeaders.put("Transfer-Encoding", "chunked");
            writeHead(status);
            out.flush();
            stream = new ChunkedStream(out);
            return stream;
        }

        private void writeHead(int status) throws IOException {
            StringBuilder sb = new StringBuilder("HTTP/1.1 ")
                    .append(status)
                    .append(' ')
                    .append(reason(status))
                    .append("\r\n");
            if (closeAfter) {
                responseHeaders.put("Connection", "close");
            }
            responseHeaders.forEach(
                    (k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
            sb.append("\r\n");
            out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
        }

        private void finish() throws IOException {
            if (!responded) {
                closeAfter = true;
                respond(500, "text/plain", "no response".getBytes(StandardCharsets.UTF_8));
            } else if (stream != null) {
                stream.close();
            }
        }

        private static String reason(int status) {
            return switch (status) {
                case 200 -> "OK";
                case 201 -> "Created";
                case 202 -> "Accepted";
                case 204 -> "No Content";
                case 400 -> "Bad Request";
                case 401 -> "Unauthorized";
                case 403 -> "Forbidden";
                case 404 -> "Not Found";
                case 405 -> "Method Not Allowed";
                case 409 -> "Conflict";
                case 410 -> "Gone";
                case 415 -> "Unsupported Media Type";
                case 422 -> "Unprocessable Entity";
                case 429 -> "Too Many Requests";
                case 500 -> "Internal Server Error";
                case 503 -> "Service Unavailable";
                default -> "Status " + status;
            };
        }
    }

    /** Chunked transfer encoding over the connection; close() writes the last chunk but keeps the connection. */
    private static final class ChunkedStream extends OutputStream {
        private final OutputStream out;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private boolean closed;

        ChunkedStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            check();
            pending.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            check();
            pending.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            check();
            if (pending.size() > 0) {
                out.write((Integer.toHexString(pending.size()) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                pending.writeTo(out);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                pending.reset();
            }
            out.flush();
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            flush();
            closed = true;
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        private void check() throws IOException {
            if (closed) {
                throw new IOException("the stream is closed");
            }
        }
    }
}
