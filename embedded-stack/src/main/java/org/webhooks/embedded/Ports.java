package org.webhooks.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback port helpers. Every listener of the embedded stack binds 127.0.0.1 only. */
final class Ports {

    static final String HOST = "127.0.0.1";

    private Ports() {
    }

    /**
     * Returns a port that was free a moment ago. Another process can take it before the caller binds it, so
     * callers that accept port 0 retry on a bind clash.
     */
    static int pickFree() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + HOST, e);
        }
    }

    /** Returns {@code port} itself when not 0, otherwise a free port. */
    static int resolve(int port) {
        return port == 0 ? pickFree() : port;
    }

    /**
     * Fails fast when a fixed port is already bound, before a server finds out in a worse way.
     *
     * @throws IllegalStateException naming {@code what} and the port when it cannot be bound
     */
    static void requireFree(int port, String what) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), 1);
        } catch (IOException e) {
            throw portTaken(port, what, e);
        }
    }

    /** Whether {@code port} can be bound on 127.0.0.1 right now. */
    static boolean isFree(int port) {
        try {
            requireFree(port, "");
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    static IllegalStateException portTaken(int port, String what, Throwable cause) {
        return new IllegalStateException(what + " port " + port + " on " + HOST
                + " is already in use; stop whatever listens there or choose another port", cause);
    }

    /** Whether a start-up failure was caused by a listener failing to bind. */
    static boolean isBindFailure(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (t instanceof BindException || message.contains("Address already in use")
                    || message.contains("failed to bind")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
