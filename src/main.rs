fn main() {
    std::process::exit(rapport::cli::main());
}
