fn main() -> std::process::ExitCode {
    veille::cli::main()
}
