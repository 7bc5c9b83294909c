/*
 * notify-kinds.c - the words of a notification for each explanation key:
 * every classtype of Suricata's and Emerging Threats' classification.config
 * and the agent's keys, each with a short title, what happened, and which
 * list of steps to give, in Japanese and English.
 *
 * Written for someone who runs a pharmacy or a small workshop: no jargon
 * without its meaning, and the steps say exactly what to touch.  "{machine}"
 * stands for the affected machine ("IPアドレス 192.168.1.23 の機器", "このPC
 * （受付PC）"), filled in by notify-text.c.  tests/unit/test-notify-text.c
 * fails when a classtype used by the ET Open rules has no row here.
 */
#include "notify-text.h"

#include <string.h>

#include "../lib/util.h"

static const struct notify_kind kinds[] = {
	/* malware on a machine of the office */
	{ "trojan-activity", false, TODO_ISOLATE,
	  { "ウイルス感染の疑い", "Possible virus infection" },
	  { "{machine}が、ウイルス（不正なプログラム）に感染しているときに見られる通信をしていました。"
	    "感染していると、情報を盗まれたり、ほかのPCに広がったりするおそれがあります。",
	    "{machine} sent traffic that machines infected with a virus (malicious software) send. "
	    "An infected machine can leak information and spread the infection to other PCs." } },
	{ "command-and-control", false, TODO_ISOLATE,
	  { "攻撃者の指令サーバーとの通信", "Contact with an attacker's control server" },
	  { "{machine}が、攻撃者がウイルスに指示を出すためのサーバーと通信していました。"
	    "すでにウイルスに感染し、外から操られている可能性があります。",
	    "{machine} talked to a server that attackers use to give orders to their viruses. "
	    "It may already be infected and controlled from outside." } },
	{ "domain-c2", false, TODO_ISOLATE,
	  { "攻撃者が使うサイトへの接続", "Lookup of a site used by attackers" },
	  { "{machine}が、攻撃者がウイルスの操作に使っているサイトに接続しようとしました。"
	    "ウイルスに感染している可能性があります。",
	    "{machine} tried to reach a site that attackers use to control their viruses. "
	    "It may be infected." } },
	{ "exploit-kit", false, TODO_ISOLATE,
	  { "危険なウェブサイトからの攻撃", "Attack from a malicious website" },
	  { "{machine}が、見た人のPCにウイルスを送り込む仕掛けのあるウェブサイトに接続しました。"
	    "ウイルスを送り込まれた可能性があります。",
	    "{machine} opened a website built to push viruses onto the computers that visit it. "
	    "A virus may have been installed." } },
	{ "targeted-activity", false, TODO_ISOLATE,
	  { "標的型攻撃の疑い", "Possible targeted attack" },
	  { "特定の会社や組織をねらった攻撃で見られる通信が、{machine}で見つかりました。",
	    "Traffic seen in attacks aimed at particular companies was found on {machine}." } },
	{ "successful-admin", false, TODO_ISOLATE,
	  { "管理者の権限を奪われた疑い", "Administrator control possibly taken" },
	  { "{machine}で、攻撃者が管理者の権限（機器を思いどおりに操作できる権限）を手に入れたときに見られる通信がありました。",
	    "{machine} sent traffic seen when an attacker has gained administrator rights "
	    "(full control of the machine)." } },
	{ "successful-user", false, TODO_ISOLATE,
	  { "乗っ取られた疑い", "Machine possibly taken over" },
	  { "{machine}で、攻撃者が利用者の権限を手に入れ、機器を操作できるようになったときに見られる通信がありました。",
	    "{machine} sent traffic seen when an attacker has gained a user's rights and can "
	    "operate the machine." } },
	{ "successful-recon-largescale", false, TODO_ISOLATE,
	  { "大量の情報が漏れた疑い", "Possible large information leak" },
	  { "{machine}から、多くの情報が外に送られた可能性があります。",
	    "A large amount of information may have been sent out from {machine}." } },

	/* deception and stolen passwords */
	{ "credential-theft", false, TODO_PASSWORD,
	  { "パスワードが盗まれた疑い", "Possible password theft" },
	  { "{machine}から、偽のログイン画面などにIDやパスワードが送られた可能性があります。",
	    "A user name and password may have been sent from {machine} to a fake login page." } },
	{ "social-engineering", false, TODO_SCAM,
	  { "だましの手口（詐欺サイトなど）", "Scam or deception attempt" },
	  { "{machine}で、偽の警告画面やサポート詐欺など、人をだましてソフトを入れさせたり情報を入力させたりするサイトへの接続が見つかりました。",
	    "{machine} opened a page built to trick people, such as a fake virus warning or a "
	    "fake support desk, into installing software or typing in information." } },

	/* attacks on weaknesses */
	{ "web-application-attack", false, TODO_UPDATE,
	  { "ウェブサイトやソフトの弱点への攻撃", "Attack on a website or software weakness" },
	  { "{machine}が関わる通信に、ウェブサイトやソフトの弱点（脆弱性）を突く攻撃が含まれていました。"
	    "攻撃が成功したかどうかは担当者が確認します。",
	    "Traffic involving {machine} carried an attack on a weakness (vulnerability) of a "
	    "website or of software. We are checking whether it succeeded." } },
	{ "web-application-activity", false, TODO_UPDATE,
	  { "弱点のあるウェブソフトへのアクセス", "Access to vulnerable web software" },
	  { "{machine}が関わる通信で、弱点が知られているウェブのソフトへのアクセスがありました。攻撃の下調べの可能性があります。",
	    "Traffic involving {machine} reached web software with a known weakness. It may be "
	    "an attacker looking for a way in." } },
	{ "attempted-admin", false, TODO_UPDATE,
	  { "管理者の権限をねらった攻撃", "Attempt to take administrator control" },
	  { "{machine}に対して、管理者の権限（機器を思いどおりに操作できる権限）を奪おうとする攻撃がありました。",
	    "Someone tried to gain administrator rights (full control) on {machine}." } },
	{ "attempted-user", false, TODO_UPDATE,
	  { "乗っ取りをねらった攻撃", "Attempt to take over a machine" },
	  { "{machine}に対して、利用者の権限を奪って機器を操作しようとする攻撃がありました。",
	    "Someone tried to gain a user's rights on {machine} to operate it." } },
	{ "shellcode-detect", false, TODO_UPDATE,
	  { "攻撃用プログラムの送り込み", "Attack code sent" },
	  { "{machine}が関わる通信の中に、機器を乗っ取るための小さなプログラム（攻撃コード）が見つかりました。",
	    "Traffic involving {machine} carried a small program made to take over a machine "
	    "(attack code)." } },
	{ "system-call-detect", false, TODO_UPDATE,
	  { "不審なシステム操作", "Suspicious system command" },
	  { "{machine}が関わる通信に、機器の中で命令を実行させようとする内容が含まれていました。",
	    "Traffic involving {machine} tried to make a machine run commands." } },
	{ "misc-attack", false, TODO_UPDATE,
	  { "攻撃とみられる通信", "Attack traffic" },
	  { "{machine}が関わる通信に、攻撃とみられるものがありました。",
	    "Traffic involving {machine} looked like an attack." } },
	{ "successful-recon-limited", false, TODO_UPDATE,
	  { "情報の一部が漏れた疑い", "Some information may have leaked" },
	  { "{machine}から、攻撃者の役に立つ情報（機器の種類や設定など）の一部が外に送られた可能性があります。",
	    "Some information useful to an attacker (the kind of machine, its settings) may "
	    "have been sent out from {machine}." } },

	/* looking around, nothing to do yet */
	{ "attempted-recon", false, TODO_WATCH,
	  { "情報を探る動き", "Attempt to gather information" },
	  { "{machine}について、攻撃の下調べとして情報を探る通信がありました。",
	    "Someone probed {machine} for information, as attackers do before an attack." } },
	{ "unsuccessful-user", false, TODO_WATCH,
	  { "乗っ取りの試み（失敗）", "Failed attempt to take over a machine" },
	  { "{machine}を乗っ取ろうとする試みがありましたが、失敗したとみられます。",
	    "Someone tried to take over {machine}; it seems to have failed." } },
	{ "rpc-portmap-decode", false, TODO_WATCH,
	  { "機器の仕組みを探る通信", "Probe of network services" },
	  { "{machine}について、どのような機能が動いているかを問い合わせる通信がありました。",
	    "Someone asked {machine} which network services it runs." } },
	{ "network-scan", false, TODO_WATCH,
	  { "ネットワークの調査（スキャン）", "Network scan" },
	  { "{machine}について、入り口（ポート）が開いているかを次々に調べる通信（スキャン）がありました。",
	    "Someone checked {machine} for open entrances (ports) one after another (a scan)." } },
	{ "string-detect", false, TODO_WATCH,
	  { "不審な文字列を含む通信", "Suspicious text in traffic" },
	  { "{machine}が関わる通信に、攻撃でよく使われる文字列が含まれていました。",
	    "Traffic involving {machine} contained text often used in attacks." } },
	{ "unusual-client-port-connection", false, TODO_WATCH,
	  { "普段と違う方法の通信", "Unusual connection" },
	  { "{machine}が、普段あまり使われない方法（ポート）で通信していました。",
	    "{machine} connected in an unusual way (an uncommon port)." } },
	{ "non-standard-protocol", false, TODO_WATCH,
	  { "決まりに合わない通信", "Non-standard traffic" },
	  { "{machine}が関わる通信が、通信の決まり（プロトコル）に合わない形をしていました。",
	    "Traffic involving {machine} did not follow the rules of its protocol." } },
	{ "protocol-command-decode", false, TODO_WATCH,
	  { "注意が必要な操作の通信", "Notable protocol command" },
	  { "{machine}が関わる通信で、注意が必要な操作（命令）が使われました。",
	    "Traffic involving {machine} used a command worth watching." } },
	{ "misc-activity", false, TODO_WATCH,
	  { "注意が必要な通信", "Notable activity" },
	  { "{machine}が関わる通信に、注意が必要なものがありました。すぐに危険というわけではありません。",
	    "Traffic involving {machine} is worth a look. It is not dangerous in itself." } },
	{ "icmp-event", false, TODO_WATCH,
	  { "ネットワーク確認の通信", "Network check traffic" },
	  { "{machine}が関わる通信で、ネットワークの状態を確かめるための通信（ping など）がありました。",
	    "Traffic involving {machine} checked the state of the network (ping and the like)." } },
	{ "tcp-connection", false, TODO_WATCH,
	  { "通信の記録", "Connection recorded" },
	  { "{machine}の通信が、記録するよう設定された条件に当たりました。",
	    "A connection of {machine} matched a condition set up to be recorded." } },
	{ "unknown", false, TODO_WATCH,
	  { "分類されていない通信", "Unclassified traffic" },
	  { "{machine}の通信が、種類の決まっていない検知ルールに当たりました。担当者が内容を確認します。",
	    "Traffic of {machine} matched a detection rule of no particular class. We will "
	    "look at it." } },
	{ "not-suspicious", false, TODO_WATCH,
	  { "記録のためのお知らせ", "Notice, not suspicious" },
	  { "{machine}の通信を記録のためにお知らせします。危険なものではありません。",
	    "A connection of {machine}, reported for the record. It is not dangerous." } },

	/* floods */
	{ "attempted-dos", false, TODO_DOS,
	  { "サービス妨害攻撃の試み", "Attempted denial-of-service attack" },
	  { "{machine}を使えなくしようとする攻撃（大量の通信を送りつけるなど）の試みがありました。",
	    "Someone tried to make {machine} unusable, for example by flooding it with traffic." } },
	{ "successful-dos", false, TODO_DOS,
	  { "サービス妨害攻撃", "Denial-of-service attack" },
	  { "{machine}を使えなくする攻撃が行われ、影響が出ている可能性があります。",
	    "An attack to make {machine} unusable took place and may be having an effect." } },
	{ "denial-of-service", false, TODO_DOS,
	  { "サービス妨害攻撃", "Denial-of-service attack" },
	  { "{machine}が関わる通信に、機器やネットワークを使えなくする攻撃がありました。",
	    "Traffic involving {machine} was an attack to make a machine or the network unusable." } },

	/* software nobody meant to run */
	{ "policy-violation", false, TODO_POLICY,
	  { "社内ルールに反するかもしれない利用", "Use that may break company rules" },
	  { "{machine}で、会社では使わないことが多いソフトやサービス（ファイル共有ソフト、遠隔操作ソフトなど）が使われました。",
	    "{machine} used software or a service that companies often do not allow (file "
	    "sharing, remote control and the like)." } },
	{ "pup-activity", false, TODO_PUP,
	  { "不要なソフトの疑い", "Possibly unwanted software" },
	  { "{machine}に、広告を出したり情報を集めたりする不要なソフトが入っている可能性があります。",
	    "{machine} may have unwanted software on it that shows ads or collects information." } },
	{ "coin-mining", false, TODO_PUP,
	  { "仮想通貨の採掘（マイニング）", "Cryptocurrency mining" },
	  { "{machine}が、仮想通貨を作るための計算（マイニング）に使われている可能性があります。PCが遅くなり、電気代もかかります。",
	    "{machine} may be used to mine cryptocurrency for someone else. It slows the PC down "
	    "and costs electricity." } },
	{ "suspicious-filename-detect", false, TODO_PUP,
	  { "不審なファイル名", "Suspicious file name" },
	  { "{machine}の通信に、攻撃でよく使われる名前のファイルが含まれていました。",
	    "Traffic of {machine} carried a file with a name often used in attacks." } },
	{ "external-ip-check", false, TODO_PUP,
	  { "インターネット上の住所を調べる通信", "Lookup of the office's internet address" },
	  { "{machine}が、インターネット上での自分の住所（グローバルIPアドレス）を調べるサイトに接続しました。"
	    "普通のソフトもしますが、ウイルスが感染した直後によくする動きでもあります。",
	    "{machine} asked a website for the office's public internet address. Ordinary "
	    "software does this, but so do viruses right after they arrive." } },
	{ "bad-unknown", false, TODO_GENERAL,
	  { "危険かもしれない通信", "Possibly harmful traffic" },
	  { "{machine}が、危険なことがあるサイトや相手と通信していました。",
	    "{machine} talked to a site or a party that is sometimes harmful." } },

	/* logins */
	{ "suspicious-login", false, TODO_LOGIN,
	  { "不審な名前でのログインの試み", "Login attempt with a suspicious user name" },
	  { "{machine}に、攻撃でよく使われる名前でログインしようとする試みがありました。",
	    "Someone tried to log in to {machine} with a user name that attackers often use." } },
	{ "default-login-attempt", false, TODO_LOGIN,
	  { "初期パスワードでのログインの試み", "Login attempt with a default password" },
	  { "{machine}に、買ったときのままの初期パスワード（admin など）でログインしようとする試みがありました。",
	    "Someone tried to log in to {machine} with a factory-default password (such as admin)." } },

	/* the agent's keys: the reporting device is the machine */
	{ "ransomware", true, TODO_RANSOM,
	  { "ランサムウェア（身代金ウイルス）の疑い", "Possible ransomware" },
	  { "{machine}で、ファイルを勝手に暗号化して使えなくし、元に戻す代わりにお金を要求するウイルス（ランサムウェア）の動きが見つかりました。",
	    "{machine} shows the behaviour of ransomware: a virus that locks files by "
	    "encrypting them and demands money to unlock them." } },
	{ "suspicious-process", true, TODO_ISOLATE,
	  { "不審なプログラムの実行", "Suspicious program running" },
	  { "{machine}で、ウイルスや攻撃者がよく使う動きをするプログラムが動きました。",
	    "A program behaving the way viruses and attackers do ran on {machine}." } },
	{ "login-failure", true, TODO_LOGIN,
	  { "ログインの失敗が続いています", "Repeated failed logins" },
	  { "{machine}で、ログインの失敗が何度も続きました。誰かがパスワードを当てようとしている可能性があります。",
	    "Logins on {machine} failed again and again. Someone may be trying to guess a password." } },
};

const struct notify_kind notify_kind_general = {
	"general", false, TODO_GENERAL,
	{ "セキュリティ上の注意が必要な出来事", "Security event" },
	{ "{machine}で、セキュリティ上の注意が必要な出来事が見つかりました。担当者が内容を確認します。",
	  "Something on {machine} needs attention for security reasons. We will look into it." },
};

/* [todo][lang]: the steps, in order, NULL-terminated. */
static const char *const todos[TODO_COUNT][2][7] = {
	[TODO_ISOLATE] = {
		{ "{machine}のLANケーブルを抜いてください。Wi-Fiでつないでいる場合は、Wi-Fiを切ってください。",
		  "電源は切らないでください。調べるのに必要な記録が消えてしまいます。",
		  "その機器で作業を続けず、メールやファイルも開かないでください。",
		  "担当者からの電話をお待ちください。", NULL },
		{ "Unplug the network (LAN) cable of {machine}. If it uses Wi-Fi, turn Wi-Fi off.",
		  "Do not switch it off: the records we need to investigate would be lost.",
		  "Stop working on it, and do not open mail or files on it.",
		  "Wait for our call.", NULL } },
	[TODO_RANSOM] = {
		{ "{machine}のLANケーブルを抜き、Wi-Fiを切ってください。ほかのPCや共有フォルダへ広がるのを防ぎます。",
		  "USBメモリや外付けディスクをつないでいたら、抜いてください（バックアップを守るためです）。",
		  "電源は切らないでください。調べるのに必要な記録が消えてしまいます。",
		  "画面にお金を要求する表示が出ても、連絡したり支払ったりしないでください。",
		  "担当者からの電話をお待ちください。", NULL },
		{ "Unplug the network (LAN) cable of {machine} and turn Wi-Fi off, so it cannot "
		  "spread to other PCs and shared folders.",
		  "Unplug any USB stick or external disk from it, to keep your backups safe.",
		  "Do not switch it off: the records we need to investigate would be lost.",
		  "If a message on the screen asks for money, do not answer it and do not pay.",
		  "Wait for our call.", NULL } },
	[TODO_PASSWORD] = {
		{ "{machine}で最近入力したIDとパスワードを、別のPCやスマートフォンから変更してください。",
		  "同じパスワードをほかのサービスでも使っていれば、そちらも変更してください。",
		  "心当たりのないメールのリンクを開かないよう、社内に声をかけてください。",
		  "担当者からの連絡をお待ちください。", NULL },
		{ "From another PC or a smartphone, change the passwords recently typed on {machine}.",
		  "If the same password is used for other services, change it there too.",
		  "Tell your staff not to open links in unexpected mail.",
		  "Wait for us to contact you.", NULL } },
	[TODO_SCAM] = {
		{ "画面に出た電話番号に電話したり、指示どおりにソフトを入れたりしないでください。",
		  "偽の警告画面が出ていたら、ブラウザを閉じてください。閉じられないときは担当者にご連絡ください。",
		  "パスワードやカード番号をすでに入力してしまった場合は、担当者にお知らせください。", NULL },
		{ "Do not call a phone number shown on the screen and do not install what it asks for.",
		  "If a fake warning is on the screen, close the browser. If it will not close, call us.",
		  "If a password or card number was already typed in, tell us.", NULL } },
	[TODO_UPDATE] = {
		{ "今すぐ機器を止める必要はありません。攻撃が成功したかどうかは担当者が確認します。",
		  "{machine}のソフトを最新の状態に更新してください（分からなければ担当者にご相談ください）。",
		  "ホームページの表示がおかしい、知らないファイルがあるなど、気づいたことがあれば担当者にお伝えください。", NULL },
		{ "There is no need to stop anything now. We are checking whether the attack worked.",
		  "Bring the software of {machine} up to date (ask us if you are not sure how).",
		  "If anything looks wrong, such as your website's pages or files you do not know, tell us.", NULL } },
	[TODO_WATCH] = {
		{ "今すぐしていただくことはありません。担当者が引き続き見守っています。",
		  "同じ通知が何度も届く、PCの様子がおかしいなどの場合は、担当者にご連絡ください。", NULL },
		{ "There is nothing you need to do now. We keep watching.",
		  "If this notice keeps coming or a PC behaves oddly, contact us.", NULL } },
	[TODO_POLICY] = {
		{ "{machine}で、会社が認めていないソフト（ファイル共有ソフト、遠隔操作ソフト、ゲームなど）が使われていないか確かめてください。",
		  "仕事で必要なものであれば、担当者にお知らせください。通知の設定を見直します。",
		  "心当たりがなければ、担当者にご連絡ください。", NULL },
		{ "Check whether software the company does not allow (file sharing, remote control, "
		  "games) is used on {machine}.",
		  "If the business needs it, tell us and we will adjust these notices.",
		  "If nobody knows about it, contact us.", NULL } },
	[TODO_PUP] = {
		{ "{machine}に、入れた覚えのないソフトやブラウザの拡張機能がないか確かめてください。",
		  "心当たりのないソフトは使わずに、担当者にご連絡ください。消し方をご案内します。", NULL },
		{ "Check {machine} for software or browser extensions nobody remembers installing.",
		  "Do not use software nobody knows about; contact us and we will help remove it.", NULL } },
	[TODO_LOGIN] = {
		{ "心当たりのないログインであれば、そのアカウントのパスワードを変更してください。",
		  "買ったときのままのパスワード（admin など）の機器があれば、変更してください。",
		  "担当者が、どこからの試みかを確認しています。", NULL },
		{ "If nobody of yours was logging in, change that account's password.",
		  "Change any factory-default password (such as admin) still in use on your devices.",
		  "We are checking where the attempts come from.", NULL } },
	[TODO_DOS] = {
		{ "インターネットや仕事のシステムが遅い、つながらないときは、担当者にご連絡ください。",
		  "ルーターなどの設定を自分で変えたり、再起動したりしないでください。", NULL },
		{ "If the internet or your business systems are slow or unreachable, contact us.",
		  "Do not change the settings of the router or other equipment, and do not restart it.", NULL } },
	[TODO_GENERAL] = {
		{ "担当者が内容を確認しています。",
		  "PCの様子がおかしい（とても遅い、見慣れない画面が出る）ときは、電源を切らずに担当者にご連絡ください。", NULL },
		{ "We are looking into it.",
		  "If a PC behaves oddly (very slow, unfamiliar windows), do not switch it off; contact us.", NULL } },
};

const struct notify_kind *notify_kind_find(const char *key)
{
	if (!key)
		return NULL;
	for (size_t i = 0; i < OT_ARRAY_LEN(kinds); i++)
		if (strcmp(kinds[i].key, key) == 0)
			return &kinds[i];
	return NULL;
}

const char *const *notify_todo_steps(enum notify_todo todo, enum notify_lang lang)
{
	return todos[todo][lang == NOTIFY_EN];
}
