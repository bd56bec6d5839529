//! `veille generate`: the manual pages and shell completions the package ships come from the real command
//! line, through the real binary, and cover every command a person can type.

use std::path::Path;
use std::process::Command as Process;

use clap::CommandFactory as _;
use veille::cli::Cli;

fn veille(args: &[&str]) -> std::process::Output {
    Process::new(env!("CARGO_BIN_EXE_veille"))
        .args(args)
        .env_remove("VEILLE_CONFIG")
        .output()
        .expect("the veille binary runs")
}

/// The commands `--help` lists, without `help` itself.
fn visible_commands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_owned())
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn man_pages_cover_every_command_and_its_options() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man");
    let out = veille(&["generate", "man", out_dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8(out.stdout).unwrap();

    let main = read(&out_dir.join("veille.1"));
    assert!(main.contains("\n.TH veille 1 "), "{main}");
    assert!(
        main.contains("/etc/veille/veille.toml"),
        "the default configuration path is documented"
    );
    assert!(
        !main.contains("generate"),
        "the packaging command stays out of the manual"
    );
    for section in [
        ".SH \"EXIT STATUS\"",
        ".SH SIGNALS",
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH \"SEE ALSO\"",
    ] {
        assert!(main.contains(section), "veille.1 lacks {section}");
    }
    assert!(
        main.find(".SH FILES") < main.find(".SH VERSION"),
        "the service sections come before VERSION"
    );

    let commands = visible_commands();
    assert!(commands.iter().any(|c| c == "run") && commands.iter().any(|c| c == "check"));
    for command in &commands {
        let page = out_dir.join(format!("veille-{command}.1"));
        assert!(listed.contains(&page.display().to_string()), "{listed}");
        assert!(
            main.contains(&format!("veille\\-{command}(1)")),
            "veille.1 lists {command}"
        );
        let text = read(&page);
        assert!(
            text.contains(&format!("\n.TH veille-{command} 1 ")),
            "{text}"
        );
    }
    assert!(read(&out_dir.join("veille-run.1")).contains("once"));

    // Every page a page refers to exists (nested commands such as `rules check` included).
    for entry in std::fs::read_dir(&out_dir).unwrap() {
        let text = read(&entry.unwrap().path());
        for reference in text.lines().filter_map(|l| l.strip_suffix("(1)")) {
            if let Some(name) = reference.strip_prefix("veille\\-") {
                let page = out_dir.join(format!("veille-{}.1", name.replace("\\-", "-")));
                assert!(
                    page.exists(),
                    "{} is referred to but missing",
                    page.display()
                );
            }
        }
    }
}

#[test]
fn completions_for_bash_zsh_and_fish_know_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, file) in [
        ("bash", "veille.bash"),
        ("zsh", "_veille"),
        ("fish", "veille.fish"),
    ] {
        let out = veille(&[
            "generate",
            "completions",
            shell,
            dir.path().to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let script = read(&dir.path().join(file));
        for command in visible_commands() {
            assert!(
                script.contains(&command),
                "{shell} completions lack {command}"
            );
        }
        // fish spells long options `-l config`.
        assert!(
            script.contains("--config") || script.contains("-l config"),
            "{shell} completions lack --config"
        );
    }
}

#[test]
fn generate_is_hidden_from_help_and_rejects_an_unknown_shell() {
    let help = veille(&["--help"]);
    assert!(help.status.success());
    assert!(!String::from_utf8_lossy(&help.stdout).contains("generate"));

    let dir = tempfile::tempdir().unwrap();
    let out = veille(&[
        "generate",
        "completions",
        "cmd.exe",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}
