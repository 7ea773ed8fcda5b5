// Command pulumi-language-nodejs is how the lab's Pulumi CLI reaches the Node.js language host
// it can build (docs/lab.md, "The Pulumi toolchain"). The Go module proxy serves
// that host only up to sdk/v3 v3.68.0, older than the CLI. This command starts that host
// (hostPath), forwards every LanguageRuntime call to it byte for byte, and answers itself the
// one call the old host refuses and the CLI needs: RunPlugin for a policy pack. Once any
// `nodejs` language plugin is installed, the CLI runs every nodejs policy pack through that
// call instead of the pulumi-analyzer-policy-nodejs plugin; this runs the pack with its own
// @pulumi/pulumi/cmd/run-policy-pack, as that analyzer plugin would.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// hostPath is the Node.js language host this command fronts, relative to this executable's
// directory unless absolute. lab/toolchain.sh sets it at build time (-X main.hostPath=...).
var hostPath = "pulumi-language-nodejs-host"

const (
	runPluginMethod = "/pulumirpc.LanguageRuntime/RunPlugin"
	// Relative to the policy pack's directory, like the CLI's pulumi-analyzer-policy-nodejs plugin runs it.
	runPolicyPack = "./node_modules/@pulumi/pulumi/cmd/run-policy-pack"
	// gRPC's default 4 MiB is too small for some engine messages; the CLI allows 400 MiB.
	maxMessageSize = 400 * 1024 * 1024
)

func main() {
	run := serve
	if len(os.Args) == 2 && os.Args[1] == "-podlab-host-version" {
		run = printHostVersion
	}
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (podlab): %v\n", err)
		os.Exit(1)
	}
}

func serve() error {
	host, err := startHost(os.Args[1:])
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(host.address,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(passThrough{}),
			grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize)))
	if err != nil {
		return fmt.Errorf("connecting to the language host at %s: %w", host.address, err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	server := grpc.NewServer(
		grpc.ForceServerCodec(passThrough{}),
		grpc.MaxRecvMsgSize(maxMessageSize), grpc.MaxSendMsgSize(maxMessageSize),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			method, _ := grpc.MethodFromServerStream(stream)
			if method == runPluginMethod {
				return runPlugin(stream)
			}
			return forward(conn, method, stream)
		}))
	// The CLI reads the port from the first line of a plugin's stdout; the rest of the
	// host's stdout (the program's own output) follows it unchanged.
	fmt.Printf("%d\n", listener.Addr().(*net.TCPAddr).Port)
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(os.Stdout, host.stdout)
		close(copied)
	}()
	go func() { _ = server.Serve(listener) }()
	// The host exits when the engine goes away (or the CLI kills the plugin's process group).
	err = host.cmd.Wait()
	// Pass on what it wrote last; a program it started may still hold the pipe, so not forever.
	select {
	case <-copied:
	case <-time.After(time.Second):
	}
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.ExitCode())
		}
		return err
	}
	return nil
}

// printHostVersion prints the version the language host reports (GetPluginInfo): lab/toolchain.sh
// checks with it that this command finds the host it was built for and talks to it.
func printHostVersion() error {
	host, err := startHost(nil)
	if err != nil {
		return err
	}
	defer func() { _ = host.cmd.Process.Kill() }()
	conn, err := grpc.NewClient(host.address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	info, err := pulumirpc.NewLanguageRuntimeClient(conn).GetPluginInfo(context.Background(), &emptypb.Empty{})
	if err != nil {
		return fmt.Errorf("GetPluginInfo: %w", err)
	}
	fmt.Println(info.GetVersion())
	return nil
}

type runningHost struct {
	cmd     *exec.Cmd
	address string
	stdout  io.Reader
}

// startHost runs the language host with the CLI's arguments (engine address, logging flags)
// and reads the port it prints.
func startHost(args []string) (*runningHost, error) {
	path := hostPath
	if !filepath.IsAbs(path) {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(filepath.Dir(exe), path)
	}
	// A pipe of our own rather than cmd.StdoutPipe: Wait would close that one even while output is still unread.
	out, in, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout = in
	cmd.Stderr = os.Stderr
	err = cmd.Start()
	in.Close()
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("starting the language host %s: %w", path, err)
	}
	stdout := bufio.NewReader(out)
	line, err := stdout.ReadString('\n')
	port := strings.TrimSpace(line)
	if err != nil || port == "" {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("the language host %s printed no port (%q): %v", path, line, err)
	}
	return &runningHost{cmd: cmd, address: "127.0.0.1:" + port, stdout: stdout}, nil
}

// forward relays one call, unary or streaming, to the host and its answer back, unchanged.
func forward(conn *grpc.ClientConn, method string, in grpc.ServerStream) error {
	ctx := in.Context()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		ctx = metadata.NewOutgoingContext(ctx, md.Copy())
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, method)
	if err != nil {
		return err
	}
	go func() {
		for {
			f := &frame{}
			if err := in.RecvMsg(f); err != nil {
				if errors.Is(err, io.EOF) {
					_ = out.CloseSend()
				} else {
					cancel()
				}
				return
			}
			if err := out.SendMsg(f); err != nil {
				return
			}
		}
	}()
	for first := true; ; first = false {
		f := &frame{}
		if err := out.RecvMsg(f); err != nil {
			in.SetTrailer(out.Trailer())
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err // the host's status (e.g. Unimplemented, which the CLI falls back on) as it sent it
		}
		if first {
			if header, err := out.Header(); err == nil {
				_ = in.SendHeader(header)
			}
		}
		if err := in.SendMsg(f); err != nil {
			return err
		}
	}
}

// runPlugin runs a policy pack (an analyzer plugin) in its own directory with the pack's
// @pulumi/pulumi, streaming its output and exit code back to the CLI.
func runPlugin(stream grpc.ServerStream) error {
	f := &frame{}
	if err := stream.RecvMsg(f); err != nil {
		return err
	}
	req := &pulumirpc.RunPluginRequest{}
	if err := proto.Unmarshal(f.payload, req); err != nil {
		return status.Errorf(codes.InvalidArgument, "RunPlugin request: %v", err)
	}
	if req.GetKind() != "analyzer" {
		return status.Errorf(codes.Unimplemented,
			"podlab's Node.js language host runs policy packs (analyzer plugins) only, not %q plugins", req.GetKind())
	}
	dir := req.GetInfo().GetProgramDirectory()
	if _, err := os.Stat(filepath.Join(dir, runPolicyPack)); err != nil {
		return status.Errorf(codes.FailedPrecondition,
			"policy pack %s: %s is missing; run `npm ci` in %s", dir, runPolicyPack, dir)
	}
	args := append([]string{runPolicyPack}, req.GetArgs()...)
	args = append(args, ".")
	// PulumiPolicy.yaml's runtime options, passed as the CLI passes them to pulumi-analyzer-policy-nodejs.
	for k, v := range req.GetInfo().GetOptions().AsMap() {
		if s := fmt.Sprint(v); s != "" {
			args = append(args, fmt.Sprintf("-%s=%s", k, s))
		}
	}
	cmd := exec.CommandContext(stream.Context(), "node", args...)
	cmd.Dir = dir
	if env := req.GetEnv(); len(env) > 0 {
		cmd.Env = env
	}
	var sendLock sync.Mutex
	send := func(resp *pulumirpc.RunPluginResponse) error {
		b, err := proto.Marshal(resp)
		if err != nil {
			return err
		}
		sendLock.Lock()
		defer sendLock.Unlock()
		return stream.SendMsg(&frame{payload: b})
	}
	relay := func(r io.Reader, wrap func([]byte) *pulumirpc.RunPluginResponse, done *sync.WaitGroup) {
		defer done.Done()
		buf := make([]byte, 32*1024)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				_ = send(wrap(append([]byte(nil), buf[:n]...)))
			}
			if err != nil {
				return
			}
		}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return status.Errorf(codes.Internal, "starting node for policy pack %s: %v", dir, err)
	}
	var relays sync.WaitGroup
	relays.Add(2)
	go relay(stdout, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	}, &relays)
	go relay(stderr, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	}, &relays)
	relays.Wait()
	code := 0
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return status.Errorf(codes.Internal, "policy pack %s: %v", dir, err)
		}
		code = exit.ExitCode()
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

// frame is a message passed through undecoded.
type frame struct{ payload []byte }

// passThrough is the codec of the forwarding server and client: frames stay bytes; anything
// else (gRPC's own services) is protobuf as usual.
type passThrough struct{}

func (passThrough) Name() string { return "proto" }

func (passThrough) Marshal(v any) ([]byte, error) {
	if f, ok := v.(*frame); ok {
		return f.payload, nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("cannot encode %T", v)
	}
	return proto.Marshal(m)
}

func (passThrough) Unmarshal(data []byte, v any) error {
	if f, ok := v.(*frame); ok {
		f.payload = append([]byte(nil), data...)
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("cannot decode into %T", v)
	}
	return proto.Unmarshal(data, m)
}
